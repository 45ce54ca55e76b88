// Maps drawn from our own GeoJSON with the vendored Leaflet (vendor/leaflet, no CDN): grid
// polygons and case points. A base map only when the deployment configures a tile server
// (config.json `map_tiles`); most government intranets have none, and the map still reads.

import { h } from "./ui.js";

const LIGHT_COLOURS = { red: "#e5383b", yellow: "#f5a623", green: "#1fa463", paused: "#9aa0ab" };
let leaflet = null;

/** Load Leaflet once (its script and stylesheet from vendor/leaflet). */
export function loadLeaflet() {
  if (!leaflet) {
    leaflet = new Promise((resolve, reject) => {
      document.head.append(h("link", { rel: "stylesheet", href: "vendor/leaflet/leaflet.css" }));
      const script = h("script", { src: "vendor/leaflet/leaflet.js" });
      script.addEventListener("load", () => resolve(window.L));
      script.addEventListener("error", () => { leaflet = null; reject(new Error("地图组件加载失败")); });
      document.head.append(script);
    });
  }
  return leaflet;
}

/** An empty map box for `label` (what a screen reader hears); draw into it with drawMap. */
export function mapBox(label, cls = "") {
  return h(`div.map${cls ? `.${cls}` : ""}`, { role: "img", "aria-label": label });
}

/**
 * Draw into a box already in the page: `grids` a FeatureCollection (polygons, named),
 * `points` [{lat, lng, light, label, onclick}]. Fits the view to what is drawn.
 */
export async function drawMap(box, settings, { grids, points = [], heat = null, patrols = null }) {
  const L = await loadLeaflet();
  const map = L.map(box, { attributionControl: false, zoomSnap: 0.25 });
  if (settings.map_tiles) L.tileLayer(settings.map_tiles, { maxZoom: 19 }).addTo(map);
  // The layers are made first, the view set from their bounds, then they are added: a
  // polygon's permanent label needs a map with a view.
  const layers = [];
  if (grids && grids.features.length) {
    layers.push(L.geoJSON(grids, {
      style: { color: "#1b6ff5", weight: 2, fillColor: "#1b6ff5", fillOpacity: 0.08 },
      onEachFeature: (feature, layer) => layer.bindTooltip(feature.properties.name,
        { permanent: grids.features.length <= 12, direction: "center", className: "grid-label" }),
    }));
  }
  if (heat && heat.features.length) {  // hot spots: the busier a grid, the redder
    layers.push(L.geoJSON(heat, {
      style: (feature) => ({ stroke: false, fillColor: "#e5383b",
        fillOpacity: 0.1 + 0.5 * (feature.properties.count / Math.max(1, heat.max)) }),
      onEachFeature: (feature, layer) => layer.bindTooltip(
        `${feature.properties.name}：${feature.properties.count} 件（在办 ${feature.properties.open}）`),
    }));
  }
  for (const feature of (patrols && patrols.features) || []) {  // the day's tracks, where workers are
    const { kind, name, distance_m: metres, at, patrolling } = feature.properties;
    if (kind === "track") {
      layers.push(L.geoJSON(feature, { style: { color: "#7b3fe4", weight: 3, opacity: 0.8 } })
        .bindTooltip(`${name} 巡查轨迹 ${(metres / 1000).toFixed(1)} 公里`));
    } else {
      const [lng, lat] = feature.geometry.coordinates;
      const time = new Date(at).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
      layers.push(L.circleMarker([lat, lng], { radius: 6, weight: 3, color: "#7b3fe4",
        fillColor: patrolling ? "#7b3fe4" : "#fff", fillOpacity: 1 })
        .bindTooltip(`${name} ${patrolling ? "巡查中" : "最后位置"} ${time}`,
          { permanent: true, direction: "top", className: "worker-label" }));
    }
  }
  for (const p of points) {
    const marker = L.circleMarker([p.lat, p.lng], {
      radius: 7, weight: 2, color: "#fff", fillOpacity: 1, fillColor: LIGHT_COLOURS[p.light] || "#1b6ff5",
    });
    if (p.label) marker.bindTooltip(p.label);
    if (p.onclick) marker.on("click", p.onclick);
    layers.push(marker);
  }
  const bounds = layers.reduce((b, layer) => (layer.getLatLng
    ? b.extend(layer.getLatLng()) : b.extend(layer.getBounds())), L.latLngBounds([]));
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
  else map.setView([36.9, 121.5], 12);
  for (const layer of layers) layer.addTo(map);
  box.dataset.drawn = String(layers.length);
  return map;
}
