// 网格员: report what is found in the grid (with the nearby-duplicates check first), the
// grid's cases, and the handled cases waiting for verification on site (核查).

import { caseDetail, caseList, countCases, followsCard } from "../cases.js";
import { reportForm } from "../report.js";
import { start } from "../shell.js";
import { navigate } from "../ui.js";

start({
  role: "grid_worker", roleLabel: "网格员", title: "网格员 · 网格事件",
  tabs: [{ hash: "", label: "上报" }, { hash: "grid", label: "网格案件" }, { hash: "verify", label: "待核查" }],
  badges: async (ctx) => ({ verify: await countCases(ctx.session, { status: "handled" }) }),
  routes: {
    "": (ctx) => reportForm(ctx, { kind: "event", nearby: true, title: "事件上报",
      done: (created) => navigate(`case/${created.id}`) }),
    grid: async (ctx) => {
      await caseList(ctx, { title: "我的网格案件", query: {}, none: "网格内暂无案件" });
      ctx.view.append(await followsCard(ctx));
    },
    verify: async (ctx) => {
      const { total } = await caseList(ctx, { title: "待核查", query: { status: "handled" }, none: "暂无待核查的案件" });
      ctx.badge("verify", total);
    },
    case: (ctx, id) => caseDetail(ctx, id, { back: "grid" }),
  },
});
