// A case's photos: thumbnails grouped by what they show (上报 before, 处置 after — side by side
// when both exist), each opening the full photo in a viewer with zoom (pinch, double tap or
// the ＋/－ buttons) and swiping (or ‹ ›, arrow keys) between the case's photos.

import { h } from "./ui.js";

const GROUPS = [["before", "上报照片"], ["after", "处置照片"], ["added", "补充照片"]];
const MAX_SCALE = 4;

/** The photos block of a case page; `photos` as the API gives them ([{id, stage, label}]). */
export function casePhotos(session, photos) {
  if (!photos || !photos.length) return null;
  const groups = GROUPS.map(([stage, title]) => [title, photos.filter((p) => p.stage === stage)])
    .filter(([, list]) => list.length);
  const open = (photo) => openViewer(session, photos, photos.indexOf(photo));
  const blocks = groups.map(([title, list]) => h("div.photo-group", { dataset: { stage: list[0].stage } },
    h("div.muted", title),
    h("div.photos", list.map((photo, i) => thumbnail(session, photo, `${photo.label}照片 ${i + 1}`, open)))));
  return h(`div${groups.length > 1 ? ".photo-compare" : ""}`, blocks);
}

function thumbnail(session, photo, label, open) {
  const img = h("img", { alt: label });
  const button = h("button.thumb", { type: "button", "aria-label": `查看${label}`, dataset: { photo: photo.id },
    onclick: () => open(photo) }, img);
  session.imageUrl(`/attachments/${photo.id}/thumbnail`).then((url) => { img.src = url; }, () => button.remove());
  return button;
}

const fullUrls = new Map();
function fullUrl(session, id) {
  if (!fullUrls.has(id)) {
    const url = session.imageUrl(`/attachments/${id}`);
    url.catch(() => fullUrls.delete(id));
    fullUrls.set(id, url);
  }
  return fullUrls.get(id);
}

/** The full-screen viewer over `photos`, opened at `index`. */
export function openViewer(session, photos, index) {
  let current = index;
  let scale = 1;
  let shift = { x: 0, y: 0 };
  const img = h("img.full", { alt: "" });
  const caption = h("div.caption", { "aria-live": "polite" });
  const stage = h("div.stage", img);
  const apply = () => { img.style.transform = `translate(${shift.x}px, ${shift.y}px) scale(${scale})`; };
  const zoom = (factor) => {
    scale = Math.min(MAX_SCALE, Math.max(1, scale * factor));
    if (scale === 1) shift = { x: 0, y: 0 };
    apply();
  };
  const show = (i) => {
    current = (i + photos.length) % photos.length;
    scale = 1;
    shift = { x: 0, y: 0 };
    apply();
    const photo = photos[current];
    img.alt = `${photo.label}照片`;
    img.removeAttribute("src");
    overlay.dataset.photo = photo.id;
    caption.textContent = `${photo.label} · ${current + 1} / ${photos.length}`;
    fullUrl(session, photo.id).then((url) => { if (photos[current] === photo) img.src = url; },
      () => { caption.textContent = "照片加载失败"; });
  };
  const close = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey);
    opener?.focus();
  };
  const onKey = (event) => {
    if (event.key === "Escape") close();
    else if (event.key === "ArrowLeft") show(current - 1);
    else if (event.key === "ArrowRight") show(current + 1);
  };
  const several = photos.length > 1;
  const overlay = h("div.viewer", { role: "dialog", "aria-modal": "true", "aria-label": "查看照片" },
    stage, caption,
    h("div.viewer-bar",
      several ? h("button", { type: "button", "aria-label": "上一张", onclick: () => show(current - 1) }, "‹") : null,
      h("button", { type: "button", "aria-label": "缩小", onclick: () => zoom(1 / 1.5) }, "－"),
      h("button", { type: "button", "aria-label": "放大", dataset: { zoom: "in" }, onclick: () => zoom(1.5) }, "＋"),
      several ? h("button", { type: "button", "aria-label": "下一张", onclick: () => show(current + 1) }, "›") : null),
    h("button.close", { type: "button", "aria-label": "关闭", onclick: close }, "×"));

  // Pointers: one finger swipes (at 1×) or pans (zoomed); two fingers pinch.
  const pointers = new Map();
  let start = null;
  stage.addEventListener("pointerdown", (event) => {
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    stage.setPointerCapture?.(event.pointerId);
    start = { pointers: new Map(pointers), scale, shift: { ...shift } };
  });
  stage.addEventListener("pointermove", (event) => {
    if (!pointers.has(event.pointerId) || !start) return;
    pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    const [a, b] = [...pointers.values()];
    if (pointers.size === 2 && start.pointers.size === 2) {
      const [a0, b0] = [...start.pointers.values()];
      const ratio = Math.hypot(a.x - b.x, a.y - b.y) / Math.max(1, Math.hypot(a0.x - b0.x, a0.y - b0.y));
      scale = Math.min(MAX_SCALE, Math.max(1, start.scale * ratio));
      apply();
    } else if (pointers.size === 1 && scale > 1) {
      const origin = start.pointers.get(event.pointerId) || a;
      shift = { x: start.shift.x + a.x - origin.x, y: start.shift.y + a.y - origin.y };
      apply();
    }
  });
  const lift = (event) => {
    const origin = start && start.pointers.get(event.pointerId);
    pointers.delete(event.pointerId);
    if (origin && start.pointers.size === 1 && scale === 1) {
      const dx = event.clientX - origin.x;
      if (Math.abs(dx) > 50) show(current + (dx < 0 ? 1 : -1));
    }
    start = pointers.size ? { pointers: new Map(pointers), scale, shift: { ...shift } } : null;
  };
  stage.addEventListener("pointerup", lift);
  stage.addEventListener("pointercancel", lift);
  stage.addEventListener("dblclick", () => zoom(scale > 1 ? 1 / scale : 2.5));

  const opener = document.activeElement;
  document.addEventListener("keydown", onKey);
  document.body.append(overlay);
  overlay.querySelector("button.close").focus();
  show(current);
  return overlay;
}
