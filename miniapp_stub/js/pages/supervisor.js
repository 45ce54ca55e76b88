// 督办/领导: the board of running cases with their traffic lights (红牌/黄牌), pressing (督办) and
// the other supervisor actions on a case, and the standard indicators with a chart.

import { caseDetail, categories, light } from "../cases.js";
import { barChart } from "../chart.js";
import { drawMap, mapBox } from "../map.js";
import { start } from "../shell.js";
import { busy, empty, h, mount, navigate, notice, percent, select, toast, when } from "../ui.js";

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
  ["redone_resolved", "不满意重办解决", String],
];
const LEVELS = ["", "一级督办", "二级督办"];

// The board's filters, kept while the page is open (the light is in the address: #light/red).
const filters = { region: "", department: "", category: "", priority: "" };

async function filterControls(ctx, reload) {
  const [towns, departments, categoryMap] = await Promise.all([
    ctx.session.get("/regions", { level: "town", page_size: 100 }), ctx.session.get("/departments"),
    categories(ctx.session)]);
  const parents = [...categoryMap.values()].filter((c) => !c.parent);
  const controls = [
    select("region", towns.map((t) => ({ value: t.code, label: t.name })), { placeholder: "全部镇街", value: filters.region }),
    select("department", departments.map((d) => ({ value: d.code, label: d.name })),
      { placeholder: "全部部门", value: filters.department }),
    select("category", parents.map((c) => ({ value: c.code, label: c.name })), { placeholder: "全部类别", value: filters.category }),
    select("priority", [{ value: "urgent", label: "仅紧急" }], { placeholder: "全部紧急程度", value: filters.priority }),
  ];
  const labels = { region: "按镇街筛选", department: "按部门筛选", category: "按类别筛选", priority: "按紧急程度筛选" };
  for (const control of controls) {
    control.setAttribute("aria-label", labels[control.name]);
    control.addEventListener("change", () => { filters[control.name] = control.value; reload(); });
  }
  return h("div.filters", controls);
}

function boardRow(item, categoryMap) {
  const category = (categoryMap.get(item.category) || {}).name || item.category;
  return h("div.item.tappable.board-row", {
    dataset: { caseId: item.id, light: item.light || "" }, role: "link", tabIndex: 0,
    onclick: () => navigate(`case/${item.id}`),
  }, light(item.light),
  h("div.grow",
    h("div.row", h("strong.grow.ellipsis", category),
      item.priority === "urgent" ? h("span.tag.urgent", "紧急") : null,
      h("span.tag", item.phase_label || item.status_label)),
    h("div.ellipsis.summary", item.summary),
    h("div.muted.ellipsis", [item.address, item.place].filter(Boolean).join(" · ")),
    h(`div.time-left${item.light === "red" ? ".overdue" : ""}`, item.time_left || ""),
    h("div.muted", [item.code, item.source_label, item.department_name,
      item.supervision_level ? LEVELS[item.supervision_level] : null,
      item.supervise_count ? `已督办 ${item.supervise_count} 次` : null].filter(Boolean).join(" · "))));
}

function query(shown) {
  return Object.fromEntries(Object.entries({ ...filters, light: shown }).filter(([, v]) => v));
}

async function board(ctx, shown) {
  const list = h("div");
  const load = async () => {
    const [counts, page, categoryMap] = await Promise.all([
      ctx.session.get("/supervision/board/counts", query()),
      ctx.session.page("/supervision/board", { ...query(shown), page_size: 50 }), categories(ctx.session)]);
    const chips = LIGHTS.map(([key, label]) => h(`button.${key}${shown === key ? ".active" : ""}`, {
      type: "button", dataset: { light: key }, "aria-pressed": String(shown === key),
      onclick: () => navigate(shown === key ? "" : `light/${key}`),
    }, h("strong", String(counts[key] ?? 0)), label));
    mount(list, h("div.counts", chips), h("div.card.board",
      h("h2", shown ? `${LIGHTS.find(([k]) => k === shown)[1]}案件` : "督办看板", h("span.muted", `（${page.total}）`)),
      page.items.length ? h("div.list", page.items.map((item) => boardRow(item, categoryMap))) : empty("暂无在办案件")));
    ctx.badge("", counts.red || 0);
  };
  const reload = () => load().catch((error) => toast(error.message));
  mount(ctx.view, await filterControls(ctx, reload), list);
  await load();
}

/** The open cases of the board on a map, coloured by light, in the grids of the scope. */
async function caseMapView(ctx) {
  const [from, to] = PERIODS.days30[1]();
  const [page, grids, heat, patrols] = await Promise.all([
    ctx.session.page("/supervision/board", { ...query(), page_size: 100 }),
    ctx.session.get("/grids", filters.region ? { region: filters.region } : {}),
    ctx.session.get("/stats/hotspots", { from, to, region: filters.region, category: filters.category }),
    ctx.session.get("/patrols/map", filters.region ? { region: filters.region } : {})]);
  const points = page.items.filter((item) => item.location).map((item) => ({
    ...item.location, light: item.light, label: `${item.code} ${item.summary}`,
    onclick: () => navigate(`case/${item.id}`),
  }));
  const box = mapBox(`在办案件地图：${points.length} 件`, "board-map");
  mount(ctx.view, h("div.card", h("h2", "案件地图", h("span.muted", `（${points.length}）`)),
    h("div.legend", LIGHTS.map(([key, label]) => h("span", light(key), label)),
      h("span", h("span.heat"), "近30天案件多"), h("span", h("span.track"), "今日巡查轨迹")), box));
  await drawMap(box, ctx.settings, { grids, points, heat, patrols });
}

/** 回访: the callbacks 不满意 evaluations opened, soonest due first, each closed with its outcome. */
async function callbacksView(ctx) {
  const { items, total } = await ctx.session.page("/supervision/callbacks", { page_size: 50 });
  const item = (task) => {
    const note = h("textarea", { name: "note", maxLength: 1000, placeholder: "回访情况（必填）",
      "aria-label": `案件 ${task.case_code} 的回访情况` });
    const message = h("div");
    const finish = (outcome) => (event) => busy(event.currentTarget, async () => {
      if (!note.value.trim()) {
        mount(message, notice("请填写回访情况", "error"));
        return;
      }
      await ctx.session.post(`/supervision/callbacks/${task.id}/done`, { outcome, note: note.value.trim() });
      toast(outcome === "reopened" ? "已重新交办" : "回访已完成");
      ctx.refreshBadges();
      callbacksView(ctx);
    });
    return h("div.item.callback", { dataset: { callback: task.id } },
      h("div.grow",
        h("div.row", h("strong.grow", task.case_code),
          h(`span.tag${task.overdue ? ".urgent" : ""}`, task.overdue ? "回访超期" : `${when(task.due_at)} 前回访`)),
        h("div", `居民评价：不满意${task.comment ? `——“${task.comment}”` : ""}`),
        h("button.small", { type: "button", onclick: () => navigate(`case/${task.case}`) }, "查看案件"),
        note, message,
        h("div.actions",
          h("button.secondary", { type: "button", dataset: { outcome: "explained" }, onclick: finish("explained") },
            "已解释说明"),
          h("button.secondary", { type: "button", dataset: { outcome: "reopened" }, onclick: finish("reopened") },
            "重新交办"))));
  };
  mount(ctx.view, h("div.card.callbacks", h("h2", "不满意回访", h("span.muted", `（${total}）`)),
    items.length ? h("div.list", items.map(item)) : empty("暂无待回访的不满意评价")));
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
  period.setAttribute("aria-label", "统计期间");
  groupBy.setAttribute("aria-label", "分组方式");
  metric.setAttribute("aria-label", "图表指标");
  mount(ctx.view, h("div.card", h("h2", "考核指标"), h("div.filters", period, groupBy, metric)), out);
  await load();
}

start({
  role: "supervisor", roleLabel: "督办人员", title: "督办 · 指标",
  tabs: [{ hash: "", label: "督办看板" }, { hash: "map", label: "案件地图" }, { hash: "callbacks", label: "回访" },
    { hash: "stats", label: "考核指标" }],
  badges: async (ctx) => {
    const [counts, callbacks] = await Promise.all([ctx.session.get("/supervision/board/counts"),
      ctx.session.page("/supervision/callbacks", { page_size: 1 })]);
    return { "": counts.red || 0, callbacks: callbacks.total };
  },
  routes: {
    "": (ctx) => board(ctx),
    light: board,
    map: caseMapView,
    callbacks: callbacksView,
    stats,
    case: (ctx, id) => caseDetail(ctx, id, { back: "" }),
  },
});
