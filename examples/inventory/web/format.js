// Formatting helpers for the inventory web page.

export function formatCents(cents) {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export function describeLevel(name, level) {
  return level === 0 ? `${name}: out of stock` : `${name}: ${level} in stock`;
}
