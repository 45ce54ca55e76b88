// Cases as every staff page shows them: list cards, the detail with photos and history, and the
// action sheet. Which actions a user may take, and what each must carry, come from the server
// (`/cases/{id}/actions`, read from the workflow table) — nothing here hard-codes the workflow.

import { chooseImage } from "./bridge.js";
import { drawMap, mapBox } from "./map.js";
import { casePhotos } from "./photos.js";
import { busy, empty, field, h, mount, navigate, notice, select, toast, when } from "./ui.js";

const cache = {};

/** code -> category, from the public catalogue (loaded once a page). */
export async function categories(session) {
  if (!cache.categories) {
    cache.categories = session.get("/categories").then((list) => new Map(list.map((c) => [c.code, c])));
  }
  return cache.categories;
}

/** The 小类 grouped under their 大类 for a <select>; `kind` "request" / "event" first. */
export async function categoryOptions(session, firstKind) {
  const all = [...(await categories(session)).values()].filter((c) => c.active !== false);
  const parents = all.filter((c) => c.level === 1 || !c.parent);
  const groups = parents.map((p) => ({
    label: p.name, kind: p.kind,
    options: all.filter((c) => c.parent === p.code).map((c) => ({ value: c.code, label: c.name })),
  })).filter((g) => g.options.length);
  groups.sort((a, b) => (b.kind === firstKind) - (a.kind === firstKind));
  return groups;
}

async function departments(session) {
  if (!cache.departments) cache.departments = session.get("/departments");
  return cache.departments;
}

function statusTag(c) {
  return h(`span.tag.status-${c.status}`, c.status_label || c.status);
}

const LIGHT_LABELS = { red: "红牌（超期）", yellow: "黄牌（临期）", green: "正常", paused: "计时暂停" };

/** Where a case is, by name: its grid (or community, or town); the address is separate. */
export function placeName(c) {
  const places = c.places || {};
  const node = places.grid || places.community || places.town;
  return node ? node.name : (c.outside_grids ? "网格外" : "");
}

/** The running phase due first: {phase_label, time_left, light} or null. */
export function currentDeadline(c) {
  const running = Object.values(c.deadlines || {}).filter((d) => d.time_left);
  running.sort((a, b) => String(a.deadline).localeCompare(String(b.deadline)));
  return running[0] || null;
}

/** A traffic light with its meaning for screen readers. */
export function light(value) {
  return h(`span.light.${value || "none"}`, { role: "img", "aria-label": LIGHT_LABELS[value] || "无时限" });
}

/** A tappable card for a list of cases. */
export function caseItem(c, categoryMap, extra) {
  const category = categoryMap.get(c.category);
  const due = currentDeadline(c);
  return h("div.item.tappable", { dataset: { caseId: c.id, code: c.code }, role: "link", tabIndex: 0,
    onclick: () => navigate(`case/${c.id}`) },
    c.light !== undefined ? light(c.light) : null,
    h("div.grow",
      h("div.row", h("strong.grow.ellipsis", category ? category.name : c.category),
        c.priority === "urgent" ? h("span.tag.urgent", "紧急") : null, statusTag(c)),
      h("div.ellipsis", c.description || ""),
      h("div.muted.ellipsis", [c.address, placeName(c)].filter(Boolean).join(" · ")),
      due ? h("div.muted.time-left", `${due.phase_label}：${due.time_left}`) : null,
      h("div.muted", c.code, " · ", when(c.created_at), extra ? ` · ${extra}` : "")));
}

/** How many cases GET /cases finds for `query` (one row read, the total from X-Pagination). */
export async function countCases(session, query) {
  return (await session.page("/cases", { page_size: 1, ...query })).total;
}

/** Download the list as an XLSX file (GET /cases/export with the list's filters). */
function exportButton(ctx, query) {
  return h("button.small.export", { type: "button", onclick: (event) => busy(event.currentTarget, async () => {
    const { data, headers } = await ctx.session.request("GET", "/cases/export",
      { query: { ...query, format: "xlsx" }, blob: true });
    const name = /filename=([^;]+)/.exec(headers.get("Content-Disposition") || "")?.[1] || "cases.xlsx";
    const link = h("a", { href: URL.createObjectURL(data), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  }) }, "导出 Excel");
}

/** A list of cases from GET /cases with `query`; `exportable` offers it as a file. */
export async function caseList(ctx, { title, query, none, exportable = false }) {
  const [{ items, total }, categoryMap] = await Promise.all([
    ctx.session.page("/cases", { page_size: 50, ...query }), categories(ctx.session)]);
  mount(ctx.view, h("div.card",
    h("div.row", h("h2.grow", title, h("span.muted", `（${total}）`)),
      exportable && total ? exportButton(ctx, query) : null),
    items.length ? h("div.list", items.map((c) => caseItem(c, categoryMap))) : empty(none)));
  return { items, total };
}

/** 我的关注: the cases I follow (附议) — their progress, and a way to stop following.
 * A follower cannot open the case (it is someone else's report): the steps reach them as
 * messages; here they see where it stands. */
export async function followsCard(ctx) {
  const follows = await ctx.session.get("/me/follows");
  const card = h("div.card.follows", h("h3", "我的关注"));
  const render = (items) => mount(card, h("h3", "我的关注"), items.length
    ? h("div.list", items.map((f) => h("div.item", { dataset: { code: f.code } },
      h("div.grow",
        h("div.row", h("strong.grow.ellipsis", f.category_name), h("span.tag", f.status_label)),
        f.place ? h("div.muted.ellipsis", f.place) : null, h("div.muted.code", `编号 ${f.code}`)),
      h("button.small.secondary", { type: "button", dataset: { unfollow: f.code },
        onclick: (event) => busy(event.currentTarget, async () => {
          await ctx.session.request("DELETE", `/me/follows/${encodeURIComponent(f.code)}`);
          toast("已取消关注");
          render(items.filter((other) => other.code !== f.code));
        }) }, "取消关注"))))
    : empty("暂无关注的问题。上报时若附近已有相同问题，可选择关注（附议）"));
  render(follows);
  return card;
}

/** A name with its code shown on demand (tap the name). */
export function named(node, fallback = "—") {
  if (!node) return fallback;
  return h("details.code", h("summary", node.name), h("span.muted", `编码 ${node.code}`));
}

/** Each running phase's deadline, in the unit its limit counts. */
export function deadlines(c) {
  const rows = Object.entries(c.deadlines || {}).filter(([, d]) => d.time_left);
  if (!rows.length) return null;
  return h("div.deadlines", rows.map(([phase, d]) => h("div.row.deadline", { dataset: { phase } },
    light(d.light || (d.paused ? "paused" : null)),
    h("span.grow", h("strong", `${d.phase_label}时限`), h("span.muted", `（${d.limit.label}）`),
      h("div.time-left", d.time_left)))));
}

/** The case's point in its grid polygon, on a small map (drawn once the page shows it). */
export function caseMap(ctx, c) {
  if (!c.location) return { box: null, draw: () => {} };
  const box = mapBox(`案件位置：${[placeName(c), c.address].filter(Boolean).join("，")}`, "case-map");
  const draw = async () => {
    try {
      const grids = c.grid ? await ctx.session.get("/grids", { region: c.grid }) : null;
      await drawMap(box, ctx.settings, { grids, points: [{ ...c.location, light: c.light, label: c.code }] });
    } catch (error) {
      box.replaceWith(notice(error.message || "地图加载失败"));
    }
  };
  return { box, draw };
}

/** A photo picker: choose → upload at once → thumbnail; `.ids()` gives the attachment ids.
 *  With `keep`, a photo chosen without signal is kept on the phone instead (`.files()`), for the
 *  outbox to upload with its form. */
export function photoPicker(session, { max = 9, keep = false } = {}) {
  const uploaded = [];
  const kept = [];
  const add = h("button.add", { type: "button" }, "＋ 拍照");
  const box = h("div.photos", add);
  add.addEventListener("click", () => busy(add, async () => {
    const file = await chooseImage();
    if (!file) return;
    let attachment = null;
    try {
      if (!keep || navigator.onLine) attachment = await session.upload(file);
    } catch (error) {
      if (!keep || error.status !== 0) throw error;
    }
    if (attachment) uploaded.push(attachment.id);
    else kept.push(file);
    add.before(h("img", { src: URL.createObjectURL(file), alt: attachment ? "已上传照片" : "待上传照片",
      dataset: { attachment: attachment ? attachment.id : "kept" } }));
    if (uploaded.length + kept.length >= max) add.classList.add("hidden");
  }));
  box.ids = () => [...uploaded];
  box.files = () => [...kept];
  return box;
}

const RATINGS = [["satisfied", "满意"], ["basically_satisfied", "基本满意"], ["dissatisfied", "不满意"]];

/** The county's 常用语 for a field of a case's category (none: an empty list). */
async function replies(session, field, category) {
  const key = `replies:${field}:${category}`;
  if (!cache[key]) cache[key] = session.get("/reply-templates", { field, category }).catch(() => []);
  return cache[key];
}

/** A text field with its 常用语 above it: picking one fills the text, which stays editable. */
async function textWithReplies(ctx, name, label, c) {
  const el = h("textarea", { name, "aria-label": label });
  const texts = await replies(ctx.session, name, c.category);
  if (!texts.length) return { label, el, value: () => el.value.trim() || undefined };
  const pick = select(`${name}-reply`, texts.map((t) => ({ value: t.text, label: t.text })),
    { placeholder: "选择常用语…" });
  pick.setAttribute("aria-label", `${label}常用语`);
  pick.addEventListener("change", () => { if (pick.value) el.value = pick.value; });
  return { label, el: h("div.with-replies", pick, el), value: () => el.value.trim() || undefined };
}

/** The control for one transition field; `.value()` reads it (undefined: not given). */
async function control(ctx, name, c) {
  const text = (label, multiline = true) => {
    const el = multiline ? h("textarea", { name }) : h("input", { name });
    return { label, el, value: () => el.value.trim() || undefined };
  };
  switch (name) {
    case "note": return textWithReplies(ctx, name, "备注", c);
    case "reason": return textWithReplies(ctx, name, "原因", c);
    case "result": return textWithReplies(ctx, name, "处置结果", c);
    case "department": {
      const list = await departments(ctx.session);
      const el = select(name, list.map((d) => ({ value: d.code, label: d.name })),
        { value: c.department || c.suggested_department, placeholder: "选择部门" });
      return { label: "处置部门", el, value: () => el.value || undefined };
    }
    case "category": {
      const el = select(name, await categoryOptions(ctx.session), { value: c.category });
      return { label: "类别（可更正）", el, value: () => (el.value !== c.category ? el.value : undefined) };
    }
    case "priority": {
      const el = select(name, [{ value: "normal", label: "一般" }, { value: "urgent", label: "紧急" }], { value: c.priority });
      return { label: "紧急程度", el, value: () => (el.value !== c.priority ? el.value : undefined) };
    }
    case "attachments": {
      const el = photoPicker(ctx.session);
      return { label: "照片", el, value: () => (el.ids().length ? el.ids() : undefined) };
    }
    case "rating": {
      const el = select(name, RATINGS.map(([value, label]) => ({ value, label })), { placeholder: "请选择" });
      return { label: "评价", el, value: () => el.value || undefined };
    }
    case "level": {
      const el = select(name, [{ value: "1", label: "一级督办（镇街）" }, { value: "2", label: "二级督办（县市）" }],
        { placeholder: "不升级" });
      return { label: "督办级别", el, value: () => (el.value ? Number(el.value) : undefined) };
    }
    case "duration_wd": {
      const el = h("input", { name, type: "number", min: 1, max: 60, inputmode: "numeric" });
      return { label: "工作日数", el, value: () => (el.value ? Number(el.value) : undefined) };
    }
    case "until": {
      const el = h("input", { name, type: "datetime-local" });
      return { label: "截止时间", el, value: () => (el.value ? new Date(el.value).toISOString() : undefined) };
    }
    case "primary": {
      const near = c.location
        ? await ctx.session.get("/cases/nearby", { lat: c.location.lat, lng: c.location.lng, category: c.category })
        : [];
      const options = near.filter((n) => n.readable && n.id !== c.id)
        .map((n) => ({ value: n.id, label: `${n.code} ${n.status_label}（${Math.round(n.distance_m)}米）` }));
      const el = select(name, options, { placeholder: options.length ? "选择主案件" : "附近没有可并入的案件" });
      return { label: "并入案件", el, value: () => el.value || undefined };
    }
    default: return text(name, false);
  }
}

/** The sheet for one action: its fields, then POST /transitions with If-Match. */
async function actionSheet(ctx, c, action, version, done) {
  const names = [...action.required, ...action.one_of, ...action.optional.filter((n) => n !== "assignee")];
  if (!names.includes("note")) names.push("note");
  const controls = [];
  for (const name of names) controls.push([name, await control(ctx, name, c)]);
  const message = h("div");
  const submit = h("button.primary", { type: "submit", dataset: { confirm: action.name } }, `确认${action.label}`);
  const form = h("form.sheet", {
    onsubmit: (event) => {
      event.preventDefault();
      busy(submit, async () => {
        const body = { action: action.name };
        for (const [name, ctl] of controls) {
          const value = ctl.value();
          if (value !== undefined) body[name] = value;
        }
        const missing = action.required.filter((n) => body[n] === undefined);
        if (missing.length || (action.one_of.length && !action.one_of.some((n) => body[n] !== undefined))) {
          mount(message, notice("请填写必填项", "error"));
          return;
        }
        try {
          await ctx.session.request("POST", `/cases/${c.id}/transitions`,
            { json: body, headers: { "If-Match": `"${version}"` } });
        } catch (error) {
          const stale = error.status === 412 || error.reason === "version_conflict";
          mount(message, notice(stale ? "案件已被他人更新，已刷新，请重新操作" : error.message, "error"));
          if (stale) setTimeout(done, 1200);
          return;
        }
        toast(`${action.label}成功`);
        ctx.refreshBadges?.();
        done();
      });
    },
  }, h("h3", action.label),
  controls.map(([name, ctl]) => field(ctl.label, ctl.el, {
    required: action.required.includes(name) || action.one_of.includes(name) })),
  message, submit);
  return form;
}

/** One case for staff: details, photos, what happened, and the actions this user may take. */
export async function caseDetail(ctx, id, { back } = {}) {
  mount(ctx.view, empty("加载中…"));
  const [c, actions, history, categoryMap] = await Promise.all([
    ctx.session.get(`/cases/${id}`), ctx.session.get(`/cases/${id}/actions`),
    ctx.session.get(`/cases/${id}/history`), categories(ctx.session)]);
  const category = categoryMap.get(c.category);
  const map = caseMap(ctx, c);
  const places = c.places || {};
  const reload = () => caseDetail(ctx, id, { back });
  const sheetBox = h("div");
  const buttons = actions.actions.map((action) => h("button.secondary", {
    type: "button", dataset: { action: action.name },
    onclick: async () => mount(sheetBox, await actionSheet(ctx, c, action, actions.version, reload)),
  }, action.label));
  const reporter = c.reporter || {};
  mount(ctx.view,
    h("div.card",
      h("div.row", h("h2.grow", category ? category.name : c.category), h("span", statusTag(c))),
      c.priority === "urgent" ? h("span.tag.urgent", "紧急") : null,
      h("p", c.description),
      deadlines(c),
      h("dl.kv",
        h("dt", "编号"), h("dd", c.code),
        h("dt", "地址"), h("dd", c.address || (c.location ? `${c.location.lat.toFixed(5)}, ${c.location.lng.toFixed(5)}` : "—")),
        h("dt", "所在"), h("dd", [places.town, places.community].filter(Boolean).map((n) => n.name).join(" · ") || "—"),
        h("dt", "网格"), h("dd.grid-name", named(places.grid, c.outside_grids ? "网格外（县级受理）" : "—")),
        h("dt", "处置部门"), h("dd", c.department_name
          || (c.suggested_department_name ? `建议：${c.suggested_department_name}` : "—")),
        h("dt", "来源"), h("dd", c.source_label || "—"),
        h("dt", "上报人"), h("dd", [reporter.name, reporter.phone].filter(Boolean).join(" ") || "—"),
        h("dt", "上报时间"), h("dd", when(c.created_at))),
      map.box,
      casePhotos(ctx.session, c.photos)),
    h("div.card", h("h3", "办理"), buttons.length ? h("div.actions", buttons) : h("div.muted", "当前没有您可以执行的操作"), sheetBox),
    h("div.card", h("h3", "办理过程"),
      h("ul.events", [...history].reverse().map((entry) => h("li",
        h("div", h("strong", entry.label || entry.action), " ", h("span.muted", when(entry.at))),
        entry.actor && entry.actor.name ? h("div.muted", entry.actor.name) : null,
        entry.note ? h("div", entry.note) : null,
        entry.payload && (entry.payload.reason || entry.payload.result)
          ? h("div", entry.payload.reason || entry.payload.result) : null)))),
    back ? h("button.secondary", { type: "button", onclick: () => navigate(back) }, "返回列表") : null);
  map.draw();
  return c;
}
