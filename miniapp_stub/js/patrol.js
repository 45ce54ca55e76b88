// The grid worker's patrol (巡查, issue 18): 签到 where the phone is, start a patrol, record the
// phone's position every few seconds while it is open — on every tab of the page — and end it.
// Positions go to the server in batches through the outbox (js/outbox.js): each batch with its
// own Idempotency-Key, in order, kept on the phone without signal; the end follows the last
// batch. The open patrol is remembered on the phone: reopening the page carries on recording.

import { getLocation } from "./bridge.js";
import { enqueue, offline } from "./outbox.js";
import { busy, h, mount, newKey, notice, toast, when } from "./ui.js";

const BATCH = 20;  // positions per batch
const EVERY_MS = 5000;  // how often the position is read (a device may set gridhub.patrol.every)

function stored(key) {
  try { return JSON.parse(localStorage.getItem(key) || "null"); } catch { return null; }
}
function store(key, value) {
  try {
    if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, JSON.stringify(value));
  } catch { /* private mode: the patrol lives as long as the page */ }
}

/** The page's patrol recorder: starts recording at once if a patrol is open on this phone. */
export function recorder(ctx, outbox) {
  const key = `gridhub.patrol.${ctx.me.id}`;
  const every = Number(stored("gridhub.patrol.every")) || EVERY_MS;
  const listeners = new Set();
  let timer = null;
  const rec = { current: stored(key), listeners };
  const changed = () => { store(key, rec.current); for (const listener of listeners) listener(); };

  const flushBuffer = async () => {  // the positions read so far, as one batch in the outbox
    const current = rec.current;
    if (!current || !current.buffer.length) return;
    const points = current.buffer;
    current.buffer = [];
    changed();
    await enqueue({ owner: ctx.me.id, kind: "points", label: `巡查位置 ${points.length} 个`,
      method: "POST", path: `/patrols/${current.id}/points`, body: { points }, photos: [], key: newKey() });
    outbox.changed();
  };
  const read = async () => {
    if (!rec.current) return;
    try {
      const position = await getLocation({ fresh: true });
      if (position.simulated || !rec.current) return;  // a demo's stand-in is not a patrol's
      rec.current.buffer.push({ lat: position.lat, lng: position.lng, coord_system: position.coord_system,
        accuracy_m: position.accuracy ?? null, at: new Date().toISOString() });
      rec.current.recorded += 1;
      changed();
      if (rec.current.buffer.length >= BATCH) await flushBuffer();
    } catch { /* no fix this time: the next reading */ }
  };
  const run = () => {
    clearInterval(timer);
    timer = rec.current ? setInterval(read, every) : null;
  };

  rec.start = async () => {
    const patrol = await ctx.session.post("/patrols", {});
    rec.current = { id: patrol.id, started_at: patrol.started_at, buffer: [], recorded: 0 };
    changed();
    run();
    await read();
  };
  rec.end = async () => {
    await read();
    await flushBuffer();
    await enqueue({ owner: ctx.me.id, kind: "end", label: "结束巡查", method: "POST",
      path: `/patrols/${rec.current.id}/end`, body: {}, photos: [], key: newKey() });
    outbox.changed();
    rec.current = null;
    changed();
    run();
  };
  run();
  return rec;
}

/** The 巡查 tab: check in, start or end the patrol, what has been recorded. */
export function patrolView(ctx, rec) {
  const status = h("div.patrol-status");
  const message = h("div");
  const checkin = h("button.secondary", { type: "button", dataset: { checkin: "" } }, "签到");
  const toggle = h("button.primary", { type: "button", dataset: { patrol: "" } });
  const render = () => {
    const current = rec.current;
    status.dataset.recorded = String(current ? current.recorded : 0);
    if (current) {
      mount(status, h("strong", "巡查中"),
        h("div.muted", `开始于 ${when(current.started_at)} · 已记录 ${current.recorded} 个位置`));
    } else {
      mount(status, h("div.muted", "未在巡查。开始巡查后，手机每隔几秒记录一次位置，仅在巡查期间记录。"));
    }
    toggle.textContent = current ? "结束巡查" : "开始巡查";
  };
  checkin.addEventListener("click", () => busy(checkin, async () => {
    mount(message);
    try {
      const position = await getLocation({ fresh: true });
      const answer = await ctx.session.post("/checkins", { lat: position.lat, lng: position.lng,
        coord_system: position.coord_system, accuracy_m: position.accuracy ?? null });
      toast(`已在${answer.grid.name}签到`);
      mount(message, notice(`今日已在${answer.grid.name}签到（${when(answer.at)}）`));
    } catch (error) {
      mount(message, notice(offline(error) ? "签到需要网络，请稍后再试" : error.message, "error"));
    }
  }));
  toggle.addEventListener("click", () => busy(toggle, async () => {
    mount(message);
    try {
      if (rec.current) {
        await rec.end();
        toast("巡查已结束，轨迹将随网络上传");
      } else {
        await rec.start();
      }
    } catch (error) {
      mount(message, notice(offline(error) ? "开始巡查需要网络，请稍后再试" : error.message, "error"));
    }
  }));
  rec.listeners.clear();
  rec.listeners.add(render);
  render();
  mount(ctx.view, h("div.card.patrol", h("h2", "巡查与签到"), status, h("div.row", checkin, toggle), message));
}
