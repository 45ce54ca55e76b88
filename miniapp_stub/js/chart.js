// A horizontal bar chart in SVG (no library): one row per group, the value written at the bar's end.

const SVG = "http://www.w3.org/2000/svg";

function node(tag, attributes, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/** rows: [{label, value (number or null), text}]; max: the value of a full bar. */
export function barChart(rows, { max, title }) {
  const width = 360;
  const labelWidth = 112;
  const barArea = width - labelWidth - 56;
  const rowHeight = 26;
  const height = rows.length * rowHeight + 8;
  const svg = node("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title || "" });
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const label = row.label.length > 8 ? `${row.label.slice(0, 7)}…` : row.label;
    svg.append(node("text", { x: 0, y: y + 16 }, label));
    const length = row.value === null || !max ? 0 : Math.max(1, (row.value / max) * barArea);
    svg.append(node("rect", { class: "bar", x: labelWidth, y: y + 4, width: length.toFixed(1), height: 16, rx: 3 }));
    svg.append(node("text", { class: "value", x: labelWidth + length + 4, y: y + 16 }, row.text));
  });
  return svg;
}
