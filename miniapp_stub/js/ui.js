// Small DOM helpers. Text always goes in through textContent (h() children that are strings),
// never as HTML: whatever a case's description says, it is shown, not run.

/** h("div.card#id", {onclick, dataset, ...attributes}, ...children) */
export function h(spec, props, ...children) {
  if (props instanceof Node || typeof props !== "object" || props === null || Array.isArray(props)) {
    children.unshift(props);
    props = {};
  }
  const [, tag, rest] = spec.match(/^([a-z0-9]+)(.*)$/i);
  const el = document.createElement(tag);
  // Forms check their fields themselves, in Chinese (never the browser's own bubbles).
  if (tag === "form") el.noValidate = true;
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === ".") el.classList.add(part.slice(1)); else el.id = part.slice(1);
  }
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key in el && key !== "list" && key !== "form") el[key] = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function mount(target, ...children) {
  target.replaceChildren();
  append(target, children);
}

let toastTimer = null;
export function toast(text, ms = 2200) {
  document.querySelectorAll(".toast").forEach((el) => el.remove());
  const el = h("div.toast", { role: "status" }, text);
  document.body.append(el);
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.remove(), ms);
}

export function notice(text, kind = "") {
  return h(`div.notice${kind ? `.${kind}` : ""}`, { role: kind === "error" ? "alert" : "note" }, text);
}

export function empty(text) {
  return h("div.empty", text);
}

const TIME = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false,
});

/** "11/21 14:05" in Beijing time. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : TIME.format(date);
}

export function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${Number(rate).toFixed(1)}%`;  // the API gives percentages
}

/** A <select> from [{value, label}] (or grouped: [{label, options}]). */
export function select(name, options, { value, placeholder, required } = {}) {
  const el = h("select", { name, required });
  if (placeholder) el.append(h("option", { value: "" }, placeholder));
  for (const option of options) {
    if (option.options) {
      const group = h("optgroup", { label: option.label });
      for (const o of option.options) group.append(h("option", { value: o.value }, o.label));
      el.append(group);
    } else {
      el.append(h("option", { value: option.value }, option.label));
    }
  }
  if (value !== undefined && value !== null) el.value = value;
  return el;
}

/** A label and its control; the control is named by the label for screen readers. */
export function field(label, control, { required } = {}) {
  if (control instanceof Element && !control.hasAttribute("aria-label")) {
    control.setAttribute("aria-label", label);
  }
  return [h(`label.field${required ? ".required" : ""}`, label), control];
}

/** Run `work` while the button shows it is busy; errors become a toast. */
export async function busy(button, work) {
  if (button.disabled) return undefined;
  const text = button.textContent;
  button.disabled = true;
  button.textContent = "请稍候…";
  try {
    return await work();
  } catch (error) {
    toast(error.message || "操作失败");
    return undefined;
  } finally {
    button.disabled = false;
    if (button.textContent === "请稍候…") button.textContent = text;  // unless the work relabelled it
  }
}

/** Hash routes: {"": listView, "case": detailView} — "#case/ID" calls detailView("ID"). */
export function router(routes, fallback) {
  const go = () => {
    const [name, ...args] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    const view = routes[name] || fallback;
    Promise.resolve(view(...args)).catch((error) => toast(error.message || "加载失败"));
  };
  window.addEventListener("hashchange", go);
  go();
  return go;  // shows the current route again
}

export function navigate(hash) {
  // The same route again ("" and "#" are both the first tab): shown anew, as a hash change would.
  if (location.hash.replace(/^#/, "") === hash) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = hash;
}

/** Idempotency keys for reports sent again without signal. */
export function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
