// 居民: the county's branch hall (掌上查/掌上办), 我要反映, my requests with their progress, and
// the evaluation once a request is closed. Signed in through the hub's SSO ticket.

import { openMiniApp } from "../bridge.js";
import { caseItem, caseMap, categories, deadlines, followsCard, placeName } from "../cases.js";
import { casePhotos } from "../photos.js";
import { reportForm } from "../report.js";
import { start } from "../shell.js";
import { busy, empty, h, mount, navigate, notice, toast, when } from "../ui.js";

const RATINGS = [["satisfied", "满意"], ["basically_satisfied", "基本满意"], ["dissatisfied", "不满意"]];

async function useItem(ctx, listed) {
  const { item } = listed;
  try {
    await ctx.session.post(`/hub/items/${item.id}/use`);
  } catch (error) {
    toast(error.message);
    return;
  }
  if (item.entry.type === "builtin" && item.entry.builtin === "report") navigate("report");
  else openMiniApp(item);
}

function hubItem(ctx, listed, refresh) {
  const { item } = listed;
  const star = h(`button.star${listed.favourite ? ".on" : ""}`, {
    type: "button", title: listed.favourite ? "取消收藏" : "收藏", "aria-label": "收藏",
    onclick: async (event) => {
      event.stopPropagation();
      try {
        await ctx.session.request(listed.favourite ? "DELETE" : "PUT", `/me/favourites/${item.id}`);
        toast(listed.favourite ? "已取消收藏" : "已收藏");
        refresh();
      } catch (error) {
        toast(error.message);
      }
    },
  }, "★");
  return h(`div.hub-item.kind-${item.kind}${item.online ? "" : ".offline"}`,
    { dataset: { code: item.code }, role: "button", tabIndex: 0, onclick: () => useItem(ctx, listed) },
    h("span.icon", item.name.slice(0, 1)), h("span", item.name), h("span.muted", item.kind_label), star);
}

async function hall(ctx) {
  const region = ctx.settings.region;
  if (!region) {
    mount(ctx.view, empty("尚未开通分厅"));
    return;
  }
  const search = h("input", { type: "search", name: "q", placeholder: "搜索事项，如 公积金、噪声", maxLength: 40 });
  const results = h("div");
  const load = async () => {
    const q = search.value.trim();
    const items = await ctx.session.get(`/hub/halls/${region}/items`, { q });
    const favourites = items.filter((i) => i.favourite);
    const recent = items.filter((i) => i.last_used_at)
      .sort((a, b) => b.last_used_at.localeCompare(a.last_used_at)).slice(0, 4);
    const section = (title, list, cls, none) => h(`div.card.${cls}`, h("h3", title),
      list.length ? h("div.grid-items", list.map((i) => hubItem(ctx, i, load))) : empty(none));
    mount(results,
      q ? null : section("我的收藏", favourites, "favourites", "点击事项右上角的 ★ 收藏常用事项"),
      q ? null : section("最近使用", recent, "recent", "暂无"),
      section(q ? `“${q}”的搜索结果` : "全部事项", items, "all-items", "没有找到相关事项"));
  };
  search.addEventListener("change", () => load().catch((error) => toast(error.message)));
  mount(ctx.view, h("div.card", h("h2", ctx.settings.hall || "分厅"), search), results);
  await load();
}

const CHANNELS = [["inbox", "站内消息"], ["push", "手机推送"], ["sms", "短信（仅紧急事项）"]];

/** How I am told about my requests (/me/preferences): one switch per channel. */
function preferencesCard(ctx, preferences) {
  const boxes = CHANNELS.map(([channel, label]) => {
    const box = h("input", { type: "checkbox", name: channel, checked: preferences.case_updates[channel] });
    box.addEventListener("change", async () => {
      try {
        await ctx.session.request("PUT", "/me/preferences",
          { json: { case_updates: { [channel]: box.checked } } });
        toast(box.checked ? `已开启${label}` : `已关闭${label}`);
      } catch (error) {
        box.checked = !box.checked;
        toast(error.message);
      }
    });
    return h("label.switch", box, label);
  });
  return h("div.card.preferences", h("h3", "办理进展通知"), h("div.muted", "受理、派遣、办结等每一步如何通知您"), boxes);
}

async function mine(ctx) {
  const [{ items }, categoryMap, preferences, follows] = await Promise.all([
    ctx.session.page("/cases", { mine: true, page_size: 50 }), categories(ctx.session),
    ctx.session.get("/me/preferences"), followsCard(ctx)]);
  mount(ctx.view, h("div.card", h("h2", "我的诉求"),
    items.length ? h("div.list", items.map((c) => caseItem(c, categoryMap))) : empty("您还没有提交过诉求")),
  follows, preferencesCard(ctx, preferences));
}

function evaluation(ctx, c, reload) {
  const note = h("textarea", { name: "note", maxLength: 1000, placeholder: "说说您的感受（选填）" });
  const buttons = RATINGS.map(([rating, label]) => h("button.secondary", {
    type: "button", dataset: { rating },
    onclick: (event) => busy(event.currentTarget, async () => {
      const body = { action: "evaluate", rating };
      if (note.value.trim()) body.note = note.value.trim();
      await ctx.session.request("POST", `/cases/${c.id}/transitions`,
        { json: body, headers: { "If-Match": `"${c.version}"` } });
      toast("感谢您的评价");
      reload();
    }),
  }, label));
  return h("div.card.evaluate", h("h3", "请对办理结果进行评价"), note, h("div.rating", buttons));
}

async function progress(ctx, id) {
  mount(ctx.view, empty("加载中…"));
  const [c, timeline, actions, categoryMap] = await Promise.all([
    ctx.session.get(`/cases/${id}`), ctx.session.get(`/cases/${id}/timeline`),
    ctx.session.get(`/cases/${id}/actions`), categories(ctx.session)]);
  const reload = () => progress(ctx, id);
  const category = categoryMap.get(c.category);
  const cancel = actions.actions.find((a) => a.name === "cancel");
  const rated = timeline.evaluation && RATINGS.find(([key]) => key === timeline.evaluation.rating);
  const map = caseMap(ctx, c);
  mount(ctx.view,
    h("div.card",
      h("div.row", h("h2.grow", category ? category.name : c.category), h("span.tag", c.status_label)),
      h("p", c.description), h("div.muted", `编号 ${c.code}`),
      h("div.muted.place", [c.address, placeName(c)].filter(Boolean).join(" · ")),
      deadlines(c), map.box, casePhotos(ctx.session, c.photos)),
    h("div.card.timeline",
      h("div.stages", timeline.stages.map((s) => h(`div.stage${s.done ? ".done" : ""}`, { dataset: { stage: s.key } },
        h("span.dot"), s.label, h("div", when(s.at))))),
      h("ul.events", timeline.events.map((e) => h("li", h("div", e.text), h("div.muted", when(e.at)))))),
    timeline.can_evaluate ? evaluation(ctx, c, reload) : null,
    timeline.can_evaluate && timeline.evaluate_until
      ? notice(`请在 ${when(timeline.evaluate_until)} 前评价`) : null,
    rated ? h("div.card.evaluated", h("h3", "您的评价"), h("strong", rated[1]),
      timeline.evaluation.note ? h("p", timeline.evaluation.note) : null) : null,
    cancel ? h("button.danger", { type: "button", onclick: (event) => busy(event.currentTarget, async () => {
      if (!window.confirm("确定撤销这条诉求吗？")) return;
      await ctx.session.request("POST", `/cases/${c.id}/transitions`,
        { json: { action: "cancel" }, headers: { "If-Match": `"${actions.version}"` } });
      toast("已撤销");
      reload();
    }) }, "撤销诉求") : null,
    h("button.secondary", { type: "button", onclick: () => navigate("mine") }, "返回我的诉求"));
  map.draw();
}

start({
  role: "resident", roleLabel: "居民", title: "爱山东 · 掌上办", resident: true,
  tabs: [{ hash: "", label: "办事大厅" }, { hash: "report", label: "我要反映" }, { hash: "mine", label: "我的诉求" }],
  routes: {
    "": hall,
    report: (ctx) => reportForm(ctx, { kind: "request", contact: true, nearby: true, title: "我要反映",
      done: (created) => navigate(`case/${created.id}`) }),
    mine,
    case: progress,
  },
});
