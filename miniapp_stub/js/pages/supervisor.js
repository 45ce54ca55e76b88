// 督办/领导: the board of running cases with their traffic lights (红牌/黄牌), pressing (督办) and
// the other supervisor actions on a case, and the standard indicators with a chart.

import { caseDetail, categories } from "../cases.js";
import { barChart } from "../chart.js";
import { start } from "../shell.js";
import { duration, empty, h, mount, navigate, percent, select, toast } from "../ui.js";

const LIGHTS = [["red", "红牌"], ["yellow", "黄牌"], ["green", "正常"], ["paused", "暂停"]];
const METRICS = [
  ["ontime_handle_rate", "按期处置率", percent], ["close_rate", "结案率", percent],
  ["satisfaction_rate", "满意率", percent], ["reported", "上报数", String],
];
const CARDS = [
  ["reported", "上报数", String], ["accept_rate", "立案率", percent], ["ontime_dispatch_rate", "按时派遣率", percent],
  ["ontime_handle_rate", "按期处置率", percent], ["close_rate", "结案率", percent],
  ["ontime_close_rate", "按期结案率", percent], ["rework_rate", "返工率", percent],
  ["overdue", "超期数", String], ["satisfaction_rate", "满意率", percent],
];

function remaining(item) {
  if (item.remaining_minutes === null || item.remaining_minutes === undefined) return item.light === "paused" ? "计时暂停" : "";
  return item.remaining_minutes >= 0 ? `剩余${duration(item.remaining_minutes)}` : `超时${duration(item.remaining_minutes)}`;
}

async function board(ctx, light) {
  const [counts, page, categoryMap] = await Promise.all([
    ctx.session.get("/supervision/board/counts"),
    ctx.session.page("/supervision/board", { light, page_size: 50 }), categories(ctx.session)]);
  const chips = LIGHTS.map(([key, label]) => h(`button.${key}${light === key ? ".active" : ""}`, {
    type: "button", dataset: { light: key }, onclick: () => navigate(light === key ? "" : `light/${key}`),
  }, h("strong", String(counts[key] ?? 0)), label));
  mount(ctx.view, h("div.counts", chips), h("div.card.board",
    h("h2", light ? `${LIGHTS.find(([k]) => k === light)[1]}案件` : "督办看板", h("span.muted", `（${page.total}）`)),
    page.items.length ? h("div.list", page.items.map((item) => h("div.item.tappable", {
      dataset: { caseId: item.id, light: item.light || "" }, onclick: () => navigate(`case/${item.id}`),
    }, h(`span.light.${item.light || "none"}`),
    h("div.grow",
      h("div.row", h("strong.grow.ellipsis", (categoryMap.get(item.category) || {}).name || item.category),
        h("span.tag", item.phase_label || item.status_label)),
      h("div.muted", item.code, " · ", remaining(item)),
      item.supervise_count ? h("div.muted", `已督办 ${item.supervise_count} 次`) : null)))) : empty("暂无在办案件")));
  ctx.badge("", counts.red || 0);
}

function shanghaiDay(offsetDays = 0) {
  const date = new Date(Date.now() + offsetDays * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(date);
}

const PERIODS = {
  week: ["近7天", () => [shanghaiDay(-6), shanghaiDay()]],
  month: ["本月", () => [`${shanghaiDay().slice(0, 8)}01`, shanghaiDay()]],
  days30: ["近30天", () => [shanghaiDay(-29), shanghaiDay()]],
  year: ["今年", () => [`${shanghaiDay().slice(0, 5)}01-01`, shanghaiDay()]],
};

async function stats(ctx) {
  const period = select("period", Object.entries(PERIODS).map(([value, [label]]) => ({ value, label })), { value: "month" });
  const groupBy = select("group_by", [{ value: "department", label: "按部门" }, { value: "town", label: "按镇街" },
    { value: "category", label: "按类别" }], { value: "department" });
  const metric = select("metric", METRICS.map(([value, label]) => ({ value, label })), { value: "ontime_handle_rate" });
  const out = h("div");
  const load = async () => {
    const [from, to] = PERIODS[period.value][1]();
    const result = await ctx.session.get("/stats", { from, to, group_by: groupBy.value });
    const [key, label, format] = METRICS.find(([k]) => k === metric.value);
    const rows = result.groups.map((g) => ({ label: g.name || g.key || "—", value: g[key], text: format(g[key]) }));
    const max = key === "reported" ? Math.max(1, ...rows.map((r) => r.value || 0)) : 100;
    mount(out,
      h("div.card.totals", h("h3", `${from} 至 ${to}`),
        h("div.indicators", CARDS.map(([k, name, f]) => h("div.indicator", { dataset: { indicator: k } },
          h("strong", f(result.total[k])), h("span", name))))),
      h("div.card.chart-card", h("h3", label),
        rows.length ? barChart(rows, { max, title: label }) : empty("本期暂无数据")));
  };
  for (const control of [period, groupBy, metric]) {
    control.addEventListener("change", () => load().catch((error) => toast(error.message)));
  }
  mount(ctx.view, h("div.card", h("h2", "考核指标"), h("div.row", period, groupBy, metric)), out);
  await load();
}

start({
  role: "supervisor", roleLabel: "督办人员", title: "督办 · 指标",
  tabs: [{ hash: "", label: "督办看板" }, { hash: "stats", label: "考核指标" }],
  routes: {
    "": (ctx) => board(ctx),
    light: board,
    stats,
    case: (ctx, id) => caseDetail(ctx, id, { back: "" }),
  },
});
