// 网格员: report what is found in the grid (with the nearby-duplicates check first), record
// visits (走访) and the day's work log (工作日志), the grid's cases, and the handled cases
// waiting for verification on site (核查). Offline-first (issue 18): the page opens without
// signal (service worker), and a report, visit or log made without signal waits in the outbox
// (待上传) and is sent when the connection returns.

import { getLocation } from "../bridge.js";
import { caseDetail, caseList, countCases, followsCard, photoPicker } from "../cases.js";
import { enqueue, offline, watch } from "../outbox.js";
import { patrolView, recorder } from "../patrol.js";
import { reportForm } from "../report.js";
import { start } from "../shell.js";
import { busy, field, h, mount, navigate, newKey, notice, select, toast } from "../ui.js";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("sw.js").catch(() => { /* the page works online without it */ });
}

/** Read once through the service worker what the forms need offline (it keeps the answers). */
function warm(session) {
  if (!navigator.serviceWorker?.controller || !navigator.onLine) return;
  for (const path of ["/me", "/categories", "/visit-purposes"]) session.get(path).catch(() => {});
}

/** File `body` at `path` now, or keep it in the outbox when there is no signal. */
async function fileOrKeep(ctx, outbox, { kind, label, method, path, body, photos, key }) {
  if (navigator.onLine && !photos.length) {
    try {
      await ctx.session.request(method, path, { json: body, headers: { "Idempotency-Key": key } });
      return "sent";
    } catch (error) {
      if (!offline(error)) throw error;
    }
  }
  await enqueue({ owner: ctx.me.id, kind, label, method, path, body, photos, key });
  outbox.changed();
  return "kept";
}

function told(ctx, result, what, again) {
  mount(ctx.view, h(`div.card.${result}`,
    h("h2", result === "sent" ? `${what}已提交` : "已保存到待上传"),
    h("p.muted", result === "sent" ? "已同步到平台。" : "网络不可用或不稳定。恢复后将自动按顺序上传，不会重复提交。"),
    h("button.primary", { type: "button", onclick: again }, "继续填写")));
}

async function visitForm(ctx, outbox) {
  const { purposes } = await ctx.session.get("/visit-purposes");
  const subject = h("input", { name: "subject", maxLength: 100, placeholder: "走访的住户或场所，如：王奶奶家（独居）" });
  const address = h("input", { name: "address", maxLength: 200, placeholder: "详细地址（选填）" });
  const purpose = select("purpose", purposes.map((p) => ({ value: p, label: p })), { placeholder: "请选择走访事由" });
  const notes = h("textarea", { name: "notes", maxLength: 2000, placeholder: "走访情况（选填）" });
  const pictures = photoPicker(ctx.session, { keep: true });
  const message = h("div");
  const submit = h("button.primary", { type: "submit" }, "提交走访记录");
  const key = newKey();
  const send = async () => {
    mount(message);
    if (!subject.value.trim() || !purpose.value) {
      mount(message, notice("请填写走访对象并选择走访事由", "error"));
      return;
    }
    const body = { subject: subject.value.trim(), purpose: purpose.value, visited_at: new Date().toISOString() };
    if (address.value.trim()) body.address = address.value.trim();
    if (notes.value.trim()) body.notes = notes.value.trim();
    if (pictures.ids().length) body.attachments = pictures.ids();
    try {
      const position = await getLocation();
      body.location = { lat: position.lat, lng: position.lng, coord_system: position.coord_system };
    } catch { /* a visit may be filed without a position */ }
    const result = await fileOrKeep(ctx, outbox, { kind: "visit", label: `走访：${body.subject}`,
      method: "POST", path: "/visits", body, photos: pictures.files(), key });
    told(ctx, result, "走访记录", () => visitForm(ctx, outbox));
  };
  mount(ctx.view, h("form.card.visit", { novalidate: true,
    onsubmit: (event) => { event.preventDefault(); busy(submit, send); } },
  h("h2", "走访记录"),
  ...field("走访对象", subject, { required: true }), ...field("走访事由", purpose, { required: true }),
  ...field("详细地址", address), ...field("走访情况", notes), ...field("现场照片", pictures),
  message, submit));
}

function today() {
  return new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });  // YYYY-MM-DD
}

async function logForm(ctx, outbox) {
  const day = today();
  const text = h("textarea", { name: "text", maxLength: 4000, placeholder: "今天的巡查、走访、处置情况" });
  try {
    const { items } = await ctx.session.page("/worklogs", { worker: ctx.me.id, from: day, to: day });
    if (items.length) text.value = items[0].text;
  } catch { /* no signal: a new text */ }
  const message = h("div");
  const submit = h("button.primary", { type: "submit" }, "保存今日日志");
  const send = async () => {
    mount(message);
    if (!text.value.trim()) {
      mount(message, notice("请填写日志内容", "error"));
      return;
    }
    const result = await fileOrKeep(ctx, outbox, { kind: "log", label: `工作日志 ${day}`, method: "PUT",
      path: `/worklogs/${day}`, body: { text: text.value.trim() }, photos: [], key: newKey() });
    if (result === "sent") toast("今日日志已保存");
    told(ctx, result, "工作日志", () => logForm(ctx, outbox));
  };
  mount(ctx.view, h("form.card.worklog", { novalidate: true,
    onsubmit: (event) => { event.preventDefault(); busy(submit, send); } },
  h("h2", `工作日志 · ${day}`), ...field("日志内容", text, { required: true }), message, submit));
}

// The outbox bar's handle: the forms tell it when they kept something (set once signed in).
const outbox = { changed: () => {} };

const ctx = await start({
  role: "grid_worker", roleLabel: "网格员", title: "网格员 · 网格事件",
  tabs: [{ hash: "", label: "上报" }, { hash: "patrol", label: "巡查" }, { hash: "visit", label: "走访" },
    { hash: "log", label: "日志" }, { hash: "grid", label: "案件" }, { hash: "verify", label: "核查" }],
  badges: async (c) => ({ verify: await countCases(c.session, { status: "handled" }) }),
  routes: {
    "": (c) => reportForm(c, { kind: "event", nearby: true, title: "事件上报", outbox,
      done: (created) => navigate(created ? `case/${created.id}` : "") }),
    patrol: (c) => patrolView(c, outbox.recorder ||= recorder(c, outbox)),
    visit: (c) => visitForm(c, outbox),
    log: (c) => logForm(c, outbox),
    grid: async (c) => {
      await caseList(c, { title: "我的网格案件", query: {}, none: "网格内暂无案件" });
      c.view.append(await followsCard(c));
    },
    verify: async (c) => {
      const { total } = await caseList(c, { title: "待核查", query: { status: "handled" }, none: "暂无待核查的案件" });
      c.badge("verify", total);
    },
    case: (c, id) => caseDetail(c, id, { back: "grid" }),
  },
});

// The outbox bar (待上传 N) above the page, sent from as soon as the page is up.
if (ctx) {
  const bar = h("div.outbox.hidden", { role: "status" });
  ctx.view.before(bar);
  const watching = watch(ctx.session, ctx.me.id, bar);
  outbox.changed = () => watching.send();
  outbox.recorder ||= recorder(ctx, outbox);  // records on every tab while a patrol is open
  warm(ctx.session);
  navigator.serviceWorker?.addEventListener("controllerchange", () => warm(ctx.session));
}
