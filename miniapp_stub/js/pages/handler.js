// 处置人员 (a department's staff): the inbox of alerts pushed to them, cases waiting to be signed
// for (签收), and cases being handled — with the result and photos sent back (处置反馈).

import { caseDetail, caseList, countCases } from "../cases.js";
import { start } from "../shell.js";
import { empty, h, mount, navigate, toast, when } from "../ui.js";

async function badges(ctx) {
  const [{ unread }, waiting] = await Promise.all([ctx.session.get("/me/notifications/unread-count"),
    countCases(ctx.session, { status: "dispatched" })]);
  return { "": waiting, inbox: unread };
}

async function inbox(ctx) {
  const { items } = await ctx.session.page("/me/notifications", { page_size: 50 });
  const open = async (n) => {
    try {
      if (!n.read_at) {
        await ctx.session.post(`/me/notifications/${n.id}/read`);
        ctx.refreshBadges();
      }
    } catch (error) {
      toast(error.message);
    }
    if (n.case) navigate(`case/${n.case}`);
    else inbox(ctx);
  };
  mount(ctx.view, h("div.card.inbox", h("h2", "消息"),
    items.length ? h("div.list", items.map((n) => h(`div.item.tappable${n.read_at ? "" : ".unread"}`,
      { dataset: { notification: n.id, type: n.type }, onclick: () => open(n) },
      h("span.light", { className: `light ${n.urgent ? "red" : n.read_at ? "paused" : "green"}` }),
      h("div.grow", h(n.read_at ? "div" : "strong", n.title), h("div.muted", n.body),
        h("div.muted", `${n.case_code || ""} · ${when(n.created_at)}`))))) : empty("暂无消息")));
  ctx.refreshBadges();
}

start({
  role: "handler", roleLabel: "处置人员", title: "部门处置",
  tabs: [{ hash: "", label: "待签收" }, { hash: "doing", label: "处置中" }, { hash: "inbox", label: "消息" }],
  badges,
  routes: {
    "": (ctx) => caseList(ctx, { title: "待签收", query: { status: "dispatched" }, none: "暂无待签收的案件" }),
    doing: (ctx) => caseList(ctx, { title: "处置中", query: { status: "in_progress" }, none: "暂无处置中的案件" }),
    inbox,
    case: (ctx, id) => caseDetail(ctx, id, { back: "" }),
  },
});
