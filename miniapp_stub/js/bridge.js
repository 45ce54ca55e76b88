// The hub container's JS bridge, stubbed for a plain browser.
//
// Inside the "爱山东" container a native object answers these calls (`window.HubBridge`, when
// present, is used as is). In a browser this stub stands in for it: `getTicket` asks the server's
// dev ticket endpoint (demo mode only), `getLocation` uses the browser's geolocation (falling
// back to the demo county's centre in demo mode), `chooseImage` opens the camera / file picker
// and shrinks the photo as the container would, `openMiniApp` says where the hub would go.

import { ApiError, config } from "./api.js";
import { toast } from "./ui.js";

const native = window.HubBridge || null;
const MAX_SIDE = 1600;  // px: what a phone photo is shrunk to before upload
const DEMO_SUBJECT = "ish-demo-0001";

/** The resident's SSO ticket: {ticket, subject_token_type, expires_in}. */
export async function getTicket() {
  if (native && native.getTicket) return native.getTicket();
  let response;
  try {
    response = await fetch("/api/v1/auth/dev-tickets", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ subject: DEMO_SUBJECT }),
    });
  } catch {
    throw new ApiError(0, null);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const error = new ApiError(response.status, body);
    if (response.status === 404) error.message = "请在爱山东 App 中打开本页面（浏览器中仅演示环境可登录）";
    throw error;
  }
  return body;
}

/** {lat, lng, coord_system, accuracy, simulated}: WGS84 from the browser. */
export async function getLocation({ fresh = false } = {}) {
  if (native && native.getLocation) return native.getLocation({ fresh });
  const settings = await config();
  const fallback = (why) => {
    if (settings.demo && settings.demo_location) {
      return { ...settings.demo_location, coord_system: "wgs84", accuracy: null, simulated: true };
    }
    throw new Error(why);
  };
  if (!navigator.geolocation) return fallback("此设备不支持定位");
  return new Promise((resolve, reject) => {
    navigator.geolocation.getCurrentPosition(
      (position) => resolve({
        lat: position.coords.latitude, lng: position.coords.longitude, coord_system: "wgs84",
        accuracy: position.coords.accuracy, simulated: false,
      }),
      (error) => {
        const why = error.code === 1 ? "未获得定位权限，请在设置中允许定位" : "暂时无法定位，请稍后重试";
        try { resolve(fallback(why)); } catch (e) { reject(e); }
      },
      { enableHighAccuracy: true, timeout: 10000, maximumAge: fresh ? 0 : 30000 },
    );
  });
}

async function shrink(file) {
  if (!window.createImageBitmap || !file.type.startsWith("image/")) return file;
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 1024 * 1024) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file;
  } catch {
    return file;  // not decodable here: the server checks it and says why
  }
}

/** One photo from the camera or the album (a File), or null when the user cancels. */
export function chooseImage() {
  if (native && native.chooseImage) return native.chooseImage();
  return new Promise((resolve) => {
    const input = document.createElement("input");
    input.type = "file";
    input.accept = "image/jpeg,image/png,image/webp";
    input.setAttribute("capture", "environment");
    input.className = "hidden";
    document.body.append(input);
    const done = (file) => { input.remove(); resolve(file); };
    input.addEventListener("change", async () => done(input.files[0] ? await shrink(input.files[0]) : null));
    input.addEventListener("cancel", () => done(null));
    input.click();
  });
}

/** Open another mini-app or a sister app's page of the hub. */
export function openMiniApp(item) {
  if (native && native.openMiniApp) return native.openMiniApp(item);
  const entry = item.entry || {};
  if (entry.type === "client" && entry.url) {
    window.open(entry.url, "_blank", "noopener");
    return undefined;
  }
  toast(`将在爱山东中打开“${item.name}”（${item.provider || "服务提供方"}）`);
  return undefined;
}
