// 受理/派遣员 (指挥中心): accept or reject new reports, merge duplicates, dispatch to departments.

import { caseDetail, caseList, countCases } from "../cases.js";
import { start } from "../shell.js";

start({
  role: "dispatcher", roleLabel: "受理派遣员", title: "指挥中心 · 受理派遣",
  tabs: [{ hash: "", label: "待受理" }, { hash: "accepted", label: "待派遣" }, { hash: "all", label: "全部案件" }],
  badges: async (ctx) => {
    const [reported, accepted] = await Promise.all([countCases(ctx.session, { status: "reported" }),
      countCases(ctx.session, { status: "accepted" })]);
    return { "": reported, accepted };
  },
  routes: {
    "": async (ctx) => {
      const { total } = await caseList(ctx, { title: "待受理", query: { status: "reported" }, none: "暂无待受理的上报" });
      ctx.badge("", total);
    },
    accepted: (ctx) => caseList(ctx, { title: "待派遣", query: { status: "accepted" }, none: "暂无待派遣的案件" }),
    all: (ctx) => caseList(ctx, { title: "全部案件", query: {}, none: "暂无案件", exportable: true }),
    case: (ctx, id) => caseDetail(ctx, id, { back: "" }),
  },
});
