// Reporting a case from a phone (residents' 我要反映 and grid workers' 上报): category, what is
// wrong, photos, where (the container's location, placed in a grid by the server), and for grid
// workers the nearby-duplicates check before anything is filed. A report is sent with an
// Idempotency-Key kept for the whole form, so resending after a dropped connection files it once.

import { categories, categoryOptions, photoPicker } from "./cases.js";
import { getLocation } from "./bridge.js";
import { enqueue, offline } from "./outbox.js";
import { busy, empty, field, h, mount, navigate, newKey, notice, select, toast } from "./ui.js";

function attributeControl(attribute) {
  const name = `attr-${attribute.code}`;
  let el;
  if (attribute.datatype === "singlevaluelist" || attribute.datatype === "multivaluelist") {
    el = select(name, attribute.values.map((v) => ({ value: v.key, label: v.name })),
      { placeholder: attribute.datatype === "singlevaluelist" ? "请选择" : undefined });
    el.multiple = attribute.datatype === "multivaluelist";
  } else if (attribute.datatype === "text") {
    el = h("textarea", { name });
  } else {
    el = h("input", { name, type: attribute.datatype === "number" ? "number" : "text" });
  }
  const value = () => {
    if (el.multiple) {
      const chosen = [...el.selectedOptions].map((o) => o.value);
      return chosen.length ? chosen : undefined;
    }
    if (el.value === "") return undefined;
    return attribute.datatype === "number" ? Number(el.value) : el.value;
  };
  return { attribute, el, value };
}

/** Follow (附议) a nearby case instead of filing the same problem again. */
function followButton(ctx, nearby) {
  const button = h("button.small", { type: "button", dataset: { follow: nearby.follow_ref },
    "aria-label": "关注这件同类问题，不再重复上报" }, "关注（附议）");
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    busy(button, async () => {
      await ctx.session.post("/cases/follow", { ref: nearby.follow_ref });
      toast("已关注：办理进展会通知您，无需重复上报");
      button.textContent = "已关注";
    });
  });
  return button;
}

/** The place a report is filed at: located once, again on request. */
function locator(session) {
  const text = h("div.grow", "定位中…");
  const again = h("button.small", { type: "button" }, "重新定位");
  const box = h("div.location", h("div.row", text, again));
  let current = null;
  const locate = async () => {
    current = null;
    text.textContent = "定位中…";
    let position = null;
    try {
      position = await getLocation();
      const placed = await session.get("/grids/locate",
        { lat: position.lat, lng: position.lng, coord_system: position.coord_system });
      const names = [placed.town, placed.community, placed.grid].filter(Boolean).map((n) => n.name);
      current = position;
      text.textContent = `${names.join(" · ") || "不在任何网格内（由县级受理）"}`
        + `（${position.lat.toFixed(5)}, ${position.lng.toFixed(5)}${position.simulated ? "，演示位置" : ""}）`;
      box.dataset.grid = placed.grid ? placed.grid.code : "";
    } catch (error) {
      if (position && offline(error)) {  // no signal: the phone's position is kept as it is
        current = position;
        text.textContent = `无网络，已记录位置（${position.lat.toFixed(5)}, ${position.lng.toFixed(5)}），`
          + "联网后由服务器确定网格";
        return;
      }
      text.textContent = error.message || "无法定位";
    }
  };
  again.addEventListener("click", () => busy(again, locate));
  locate();
  box.position = () => current;
  return box;
}

/**
 * Render the report form into ctx.view. `kind`: the catalogue kind listed first ("request" for
 * residents, "event" for grid workers); `nearby`: check for duplicates first; `contact`: ask for
 * a callback number.
 */
export async function reportForm(ctx, { kind, nearby = false, contact = false, title, done, outbox = null }) {
  const groups = await categoryOptions(ctx.session, kind);
  const categoryMap = await categories(ctx.session);
  const category = select("category", groups, { placeholder: "请选择问题类别", required: true });
  const description = h("textarea", { name: "description", maxLength: 4000, required: true,
    placeholder: "请描述问题的情况、位置特征等" });
  const address = h("input", { name: "address", maxLength: 200, placeholder: "如：胜利街与府前路交叉口东北角（选填）" });
  const phone = contact ? h("input", { name: "contact_phone", type: "tel", inputmode: "numeric", maxLength: 11,
    placeholder: "默认使用您在爱山东登记的手机号（选填）" }) : null;
  const pictures = photoPicker(ctx.session, { keep: Boolean(outbox) });
  const where = locator(ctx.session);
  const attributesBox = h("div");
  let attributes = [];
  category.addEventListener("change", () => {
    duplicatesSeen = false;
    submit.textContent = "提交";
    const chosen = categoryMap.get(category.value);
    attributes = ((chosen && chosen.attributes) || []).map(attributeControl);
    mount(attributesBox, attributes.map((a) => field(a.attribute.description, a.el, { required: a.attribute.required })));
  });
  const message = h("div");
  const submit = h("button.primary", { type: "submit" }, "提交");
  const idempotencyKey = newKey();
  let duplicatesSeen = false;

  const send = async () => {
    mount(message);
    const position = where.position();
    if (!category.value || !description.value.trim()) {
      mount(message, notice("请选择类别并填写问题描述", "error"));
      return;
    }
    if (!position) {
      mount(message, notice("尚未获得位置，请点击“重新定位”", "error"));
      return;
    }
    if (nearby && !duplicatesSeen && !(outbox && !navigator.onLine)) {
      let near = [];
      try {
        near = await ctx.session.get("/cases/nearby",
          { lat: position.lat, lng: position.lng, coord_system: position.coord_system, category: category.value });
      } catch (error) {
        if (!outbox || !offline(error)) throw error;  // no signal: filed without the check
      }
      duplicatesSeen = true;
      if (near.length) {
        mount(message, h("div.card.duplicates",
          notice(`附近已有 ${near.length} 件同类案件，可能是同一问题：`),
          // A case the reporter may not read shows only status, distance and community.
          h("div.list", near.map((n) => h(n.readable ? "div.item.tappable" : "div.item",
            n.readable ? { onclick: () => navigate(`case/${n.id}`) } : {},
            h("div.grow", h("strong", n.code || "同类问题"), " ", h("span.tag", n.status_label),
              h("div.muted", [`${Math.round(n.distance_m)} 米`, n.address || n.place].filter(Boolean).join(" · "))),
            n.readable ? null : followButton(ctx, n)))),
          h("div.muted", "确认不是同一问题后，再次点击“提交”上报")));
        submit.textContent = "不是重复，继续上报";
        return;
      }
    }
    const body = {
      category: category.value, description: description.value.trim(),
      location: { lat: position.lat, lng: position.lng, coord_system: position.coord_system },
    };
    if (address.value.trim()) body.address = address.value.trim();
    if (phone && phone.value.trim()) body.contact_phone = phone.value.trim();
    const ids = pictures.ids();
    if (ids.length) body.attachments = ids;
    const answers = {};
    for (const a of attributes) {
      const value = a.value();
      if (value !== undefined) answers[a.attribute.code] = value;
    }
    if (Object.keys(answers).length) body.attributes = answers;
    const keep = async () => {  // no signal: into the outbox, sent when the connection returns
      const chosen = categoryMap.get(category.value);
      await enqueue({ owner: ctx.me.id, kind: "report", label: `上报：${chosen ? chosen.name : category.value}`,
        method: "POST", path: "/cases", body, photos: pictures.files(), key: idempotencyKey });
      outbox.changed();
      mount(ctx.view, h("div.card.kept",
        h("h2", "已保存到待上传"),
        h("p.muted", "网络不可用或不稳定。恢复后将自动按顺序上传，不会重复提交。"),
        h("button.primary", { type: "button", onclick: () => done(null) }, "继续上报")));
    };
    if (outbox && (!navigator.onLine || pictures.files().length)) {
      await keep();
      return;
    }
    let created;
    try {
      created = await ctx.session.post("/cases", body, { "Idempotency-Key": idempotencyKey });
    } catch (error) {
      if (outbox && offline(error)) {
        await keep();
        return;
      }
      mount(message, notice(error.message, "error"));
      return;
    }
    mount(ctx.view, h("div.card.reported",
      h("h2", "提交成功"),
      h("p", "编号 ", h("strong.case-code", created.code)),
      h("p.muted", "已进入受理流程，处理进展会推送给您。"),
      h("button.primary", { type: "button", onclick: () => done(created) }, "查看进度")));
  };

  mount(ctx.view, h("form.card.report", { onsubmit: (event) => { event.preventDefault(); busy(submit, send); } },
    h("h2", title),
    ...field("问题类别", category, { required: true }),
    attributesBox,
    ...field("问题描述", description, { required: true }),
    ...field("现场照片", pictures),
    ...field("位置", where),
    ...field("详细地址", address),
    phone ? field("联系电话", phone) : null,
    message, submit));
  if (!groups.length) mount(ctx.view, empty("暂无可选的问题类别"));
}
