// The phone's outbox (issue 18): what a grid worker files without signal — a report, a visit,
// a work log — is kept in IndexedDB with its photos, its place and time and its
// Idempotency-Key, and sent when the connection returns, in the order it was made. Each item
// shows its state (等待网络 / 上传中 / 失败：reason); nothing is lost when the page is closed,
// and nothing is filed twice: the server keys each filing by the item's Idempotency-Key, and a
// photo already uploaded is remembered with the item.

import { h, mount } from "./ui.js";

const DB = "gridhub-outbox";
const STORE = "items";
let opened = null;

function database() {
  if (!opened) {
    opened = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return opened;
}

async function run(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const result = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}

/** Keep an item to send: {owner, kind, label, method, path, body, photos: [Blob], key}. Only
 *  its owner's session sends it (another user signing in on the same phone does not). */
export function enqueue(item) {
  return run("readwrite", (store) => store.add({
    ...item, photos: item.photos || [], uploaded: [], state: "pending", error: null,
    created_at: new Date().toISOString(),
  }));
}

export async function items(owner) {
  const all = await run("readonly", (store) => store.getAll());
  return owner ? all.filter((item) => item.owner === owner) : all;
}

function save(item) { return run("readwrite", (store) => store.put(item)); }
function remove(id) { return run("readwrite", (store) => store.delete(id)); }

let flushing = null;

/** The oldest item still to send that this flush has not tried yet. */
async function waiting(owner, tried) {
  const left = (await items(owner)).filter((item) => item.state !== "failed" && !tried.has(item.id));
  return left.sort((a, b) => a.id - b.id)[0] || null;
}
const listeners = new Set();
const changed = () => { for (const listener of listeners) listener(); };

/** Send what waits, oldest first; stops at the first item the network refuses to carry. */
export function flush(session, owner) {
  if (!flushing) {
    flushing = (async () => {
      // Until nothing new is left: what is kept while a flush runs goes out with it.
      const tried = new Set();
      for (let next = await waiting(owner, tried); next; next = await waiting(owner, tried)) {
        const item = next;
        tried.add(item.id);
        item.state = "sending";
        await save(item);
        changed();
        try {
          while (item.uploaded.length < item.photos.length) {
            const attachment = await session.upload(item.photos[item.uploaded.length]);
            item.uploaded.push(attachment.id);
            await save(item);  // a photo uploaded is not uploaded again
          }
          const body = { ...item.body };
          if (item.uploaded.length) body.attachments = [...(body.attachments || []), ...item.uploaded];
          await session.request(item.method, item.path,
            { json: body, headers: { "Idempotency-Key": item.key } });
          await remove(item.id);
        } catch (error) {
          const refused = error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
          item.state = refused ? "failed" : "pending";
          item.error = refused ? error.message : null;
          await save(item);
          changed();
          if (!refused) return;  // no signal, or the server is busy: the rest waits its turn
        }
        changed();
      }
    })().finally(() => { flushing = null; });
  }
  return flushing;
}

const STATES = { pending: "等待网络", sending: "上传中" };

/** The visible queue (待上传 N), kept current; sends on load, when the connection returns and
 *  every 30 s while something waits. */
export function watch(session, owner, bar) {
  const render = async () => {
    const waiting = await items(owner);
    bar.classList.toggle("hidden", !waiting.length);
    bar.dataset.count = String(waiting.length);
    mount(bar, h("details",
      h("summary", `待上传 ${waiting.length} 项`, navigator.onLine ? "" : "（无网络，联网后自动上传）"),
      h("ul", waiting.map((item) => h("li", { dataset: { state: item.state } },
        h("span.grow", item.label),
        h("span.muted", item.state === "failed" ? `失败：${item.error}` : STATES[item.state] || item.state),
        item.state === "failed" ? h("button.small", { type: "button", onclick: async () => {
          await remove(item.id);
          render();
        } }, "删除") : null)))));
  };
  listeners.add(render);
  const send = () => { if (navigator.onLine) flush(session, owner).then(render, render); else render(); };
  window.addEventListener("online", send);
  window.addEventListener("offline", render);
  setInterval(send, 30_000);
  send();
  return { render, send };
}

/** Whether a failed call is the network's (no signal), not the server's answer. */
export function offline(error) {
  return !navigator.onLine || (error && error.status === 0);
}
