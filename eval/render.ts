/**
 * Lays documents out as SVG (rendered by sharp/librsvg with the installed DejaVu fonts). Several
 * layouts per kind so the rules meet labels left of, above and inside their values, tables with and
 * without headers, and totals in different places.
 */
import type { InvoiceContent, Locale, ReceiptContent } from './documents.js';
import { formatDate, formatMoney, formatNumber } from './documents.js';
import type { Random } from './random.js';

export type Font = 'DejaVu Sans' | 'DejaVu Serif' | 'DejaVu Sans Mono';

export interface RenderedSvg {
  svg: string;
  width: number;
  height: number;
  layout: string;
  font: Font;
}

interface TextStyle {
  size: number;
  font: Font;
  bold?: boolean;
  anchor?: 'start' | 'middle' | 'end';
  fill?: string;
}

const escapeXml = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function text(x: number, y: number, content: string, style: TextStyle): string {
  return (
    `<text x="${x}" y="${y}" font-family="${style.font}" font-size="${style.size}" text-anchor="${style.anchor ?? 'start'}"` +
    `${style.bold === true ? ' font-weight="bold"' : ''} fill="${style.fill ?? '#111'}">${escapeXml(content)}</text>`
  );
}

const rule = (x0: number, x1: number, y: number, colour = '#999'): string =>
  `<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="${colour}" stroke-width="1.5"/>`;

const svgDocument = (width: number, height: number, body: string[]): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${body.join('')}</svg>`;

const quantityText = (quantity: number, locale: Locale): string =>
  Number.isInteger(quantity) ? String(quantity) : formatNumber(quantity, locale.numbers).replace(/[.,]?0+$/, '');

const amountText = (value: number, locale: Locale): string => formatNumber(value, locale.numbers);

const taxLabelText = (locale: Locale): string => `${locale.taxLabel} ${Number((locale.taxRate * 100).toFixed(2))}%`;

const A4 = { width: 1240, height: 1754 };

/** Vendor top-left, title top-right, "Label: value" meta block on the right, totals bottom-right. */
function classicInvoice(content: InvoiceContent, random: Random, font: Font): string[] {
  const { truth, locale } = content;
  const body = random.int(17, 21);
  const out: string[] = [];
  out.push(text(80, 120, truth.vendor ?? '', { size: Math.round(body * 1.8), font, bold: true }));
  content.address.forEach((line, i) => out.push(text(80, 165 + i * body * 1.5, line, { size: body, font })));
  out.push(text(1160, 120, random.pick(['INVOICE', 'Invoice', 'TAX INVOICE']), { size: body * 2, font, anchor: 'end', fill: '#333' }));
  const meta: [string, string][] = [
    [random.pick(['Invoice No:', 'Invoice #', 'Invoice Number:', 'Inv. No.']), truth.invoice_number ?? ''],
    [random.pick(['Date:', 'Invoice Date:', 'Issue date:']), formatDate(truth.date ?? '', locale.date)],
    ['Due Date:', formatDate(content.dueDate, locale.date)],
  ];
  meta.forEach(([label, value], i) => {
    const y = 200 + i * body * 1.7;
    out.push(text(760, y, label, { size: body, font, fill: '#444' }), text(1160, y, value, { size: body, font, anchor: 'end' }));
  });
  out.push(text(80, 340, 'Bill to:', { size: body, font, bold: true }));
  content.customer.forEach((line, i) => out.push(text(80, 340 + (i + 1) * body * 1.5, line, { size: body, font })));
  let y = 540;
  if (random.chance(0.5)) out.push(`<rect x="70" y="${y - body * 1.4}" width="1100" height="${body * 2}" fill="#e8e8e8"/>`);
  const columns = { qty: 720, unit: 930, amount: 1160 };
  out.push(
    text(80, y, 'Description', { size: body, font, bold: true }),
    text(columns.qty, y, random.pick(['Qty', 'Quantity']), { size: body, font, bold: true, anchor: 'end' }),
    text(columns.unit, y, random.pick(['Unit price', 'Price', 'Rate']), { size: body, font, bold: true, anchor: 'end' }),
    text(columns.amount, y, random.pick(['Amount', 'Total', 'Line total']), { size: body, font, bold: true, anchor: 'end' }),
  );
  for (const line of truth.line_items) {
    y += body * 2.1;
    out.push(
      text(80, y, line.description, { size: body, font }),
      text(columns.qty, y, quantityText(line.quantity ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(columns.unit, y, amountText(line.unit_price ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(columns.amount, y, amountText(line.total ?? 0, locale), { size: body, font, anchor: 'end' }),
    );
  }
  y += body * 1.4;
  out.push(rule(70, 1170, y));
  const totals: [string, number, boolean][] = [
    ['Subtotal', truth.subtotal ?? 0, false],
    [taxLabelText(locale), truth.tax ?? 0, false],
    [random.pick(['Total', 'Total due', 'Amount due', 'TOTAL']), truth.total ?? 0, true],
  ];
  totals.forEach(([label, value, bold], i) => {
    const ty = y + (i + 1) * body * 2;
    out.push(
      text(780, ty, label, { size: body, font, bold }),
      text(1160, ty, formatMoney(value, locale), { size: body, font, anchor: 'end', bold }),
    );
  });
  out.push(
    text(80, 1620, 'Payment due within 30 days. Thank you for your business!', { size: Math.round(body * 0.85), font, fill: '#555' }),
  );
  return out;
}

/** Centred vendor, labels above their values in a row, "Amount due" with the value to its right. */
function stackedInvoice(content: InvoiceContent, random: Random, font: Font): string[] {
  const { truth, locale } = content;
  const body = random.int(17, 21);
  const out: string[] = [];
  out.push(text(620, 130, truth.vendor ?? '', { size: Math.round(body * 2), font, bold: true, anchor: 'middle' }));
  out.push(text(620, 175, content.address.join(', '), { size: body, font, anchor: 'middle', fill: '#444' }));
  out.push(text(80, 270, 'INVOICE', { size: Math.round(body * 1.5), font, bold: true }));
  const meta: [string, string][] = [
    [random.pick(['Invoice #', 'Invoice No.', 'Number']), truth.invoice_number ?? ''],
    [random.pick(['Date', 'Invoice date', 'Date issued']), formatDate(truth.date ?? '', locale.date)],
    ['Due date', formatDate(content.dueDate, locale.date)],
  ];
  meta.forEach(([label, value], i) => {
    const x = 80 + i * 380;
    out.push(
      text(x, 330, label, { size: Math.round(body * 0.9), font, fill: '#666' }),
      text(x, 330 + body * 1.6, value, { size: body, font, bold: true }),
    );
  });
  out.push(text(80, 450, `Billed to: ${content.customer.join(', ')}`, { size: body, font }));
  let y = 560;
  const hours = truth.line_items.some((line) => !Number.isInteger(line.quantity ?? 0));
  out.push(
    text(80, y, 'Item', { size: body, font, bold: true }),
    text(700, y, hours ? 'Hours' : 'Qty', { size: body, font, bold: true, anchor: 'end' }),
    text(920, y, 'Rate', { size: body, font, bold: true, anchor: 'end' }),
    text(1160, y, 'Amount', { size: body, font, bold: true, anchor: 'end' }),
  );
  out.push(rule(70, 1170, y + body * 0.6, '#333'));
  for (const line of truth.line_items) {
    y += body * 2.2;
    out.push(
      text(80, y, line.description, { size: body, font }),
      text(700, y, quantityText(line.quantity ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(920, y, formatMoney(line.unit_price ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(1160, y, formatMoney(line.total ?? 0, locale), { size: body, font, anchor: 'end' }),
    );
    out.push(rule(70, 1170, y + body * 0.7, '#ddd'));
  }
  y += body * 3;
  const totals: [string, number][] = [
    ['Subtotal', truth.subtotal ?? 0],
    [taxLabelText(locale), truth.tax ?? 0],
    [random.pick(['Amount due', 'Total due', 'Balance due', 'Total']), truth.total ?? 0],
  ];
  totals.forEach(([label, value], i) => {
    const last = i === totals.length - 1;
    out.push(
      text(860, y + i * body * 2, label, { size: last ? Math.round(body * 1.2) : body, font, bold: last, anchor: 'end' }),
      text(1160, y + i * body * 2, formatMoney(value, locale), {
        size: last ? Math.round(body * 1.2) : body,
        font,
        bold: last,
        anchor: 'end',
      }),
    );
  });
  return out;
}

/** Monospaced, "Label : value" meta on the left, dashed rules, totals labelled with the currency code. */
function plainInvoice(content: InvoiceContent, random: Random): string[] {
  const font: Font = 'DejaVu Sans Mono';
  const { truth, locale } = content;
  const body = random.int(16, 19);
  const out: string[] = [];
  out.push(text(80, 110, truth.vendor ?? '', { size: Math.round(body * 1.6), font, bold: true }));
  out.push(text(80, 150, content.address.join(' / '), { size: body, font }));
  const meta: [string, string][] = [
    [random.pick(['Invoice Number', 'Invoice No.', 'Invoice #']), truth.invoice_number ?? ''],
    [random.pick(['Invoice Date', 'Date']), formatDate(truth.date ?? '', locale.date)],
    ['Customer', content.customer[0] ?? ''],
  ];
  meta.forEach(([label, value], i) => {
    const y = 240 + i * body * 1.7;
    out.push(text(80, y, label, { size: body, font }), text(330, y, `: ${value}`, { size: body, font }));
  });
  let y = 420;
  const dashes = '-'.repeat(Math.floor(1080 / (body * 0.6)));
  out.push(text(80, y - body * 1.4, dashes, { size: body, font, fill: '#555' }));
  out.push(
    text(80, y, 'DESCRIPTION', { size: body, font }),
    text(740, y, 'QTY', { size: body, font, anchor: 'end' }),
    text(950, y, 'PRICE', { size: body, font, anchor: 'end' }),
    text(1160, y, 'TOTAL', { size: body, font, anchor: 'end' }),
  );
  out.push(text(80, y + body * 1.2, dashes, { size: body, font, fill: '#555' }));
  y += body * 1.4;
  for (const line of truth.line_items) {
    y += body * 1.8;
    out.push(
      text(80, y, line.description, { size: body, font }),
      text(740, y, quantityText(line.quantity ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(950, y, amountText(line.unit_price ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(1160, y, amountText(line.total ?? 0, locale), { size: body, font, anchor: 'end' }),
    );
  }
  y += body * 1.4;
  out.push(text(80, y, dashes, { size: body, font, fill: '#555' }));
  const totals: [string, number][] = [
    ['SUBTOTAL', truth.subtotal ?? 0],
    [taxLabelText(locale).toUpperCase(), truth.tax ?? 0],
    [`TOTAL ${locale.currency}`, truth.total ?? 0],
  ];
  totals.forEach(([label, value], i) => {
    const ty = y + (i + 1) * body * 1.8;
    out.push(text(700, ty, label, { size: body, font }), text(1160, ty, amountText(value, locale), { size: body, font, anchor: 'end' }));
  });
  return out;
}

/** A tinted header band, meta as "Label value" phrases, zebra rows, "Grand total". */
function bandedInvoice(content: InvoiceContent, random: Random, font: Font): string[] {
  const { truth, locale } = content;
  const body = random.int(17, 21);
  const band = random.pick(['#dbeafe', '#fef3c7', '#dcfce7', '#f3e8ff']);
  const out: string[] = [`<rect x="0" y="0" width="1240" height="230" fill="${band}"/>`];
  out.push(`<circle cx="120" cy="110" r="44" fill="#475569"/>`);
  out.push(text(190, 105, truth.vendor ?? '', { size: Math.round(body * 1.7), font, bold: true }));
  out.push(text(190, 145, content.address.join(', '), { size: body, font, fill: '#333' }));
  out.push(
    text(1160, 95, `${random.pick(['Invoice no.', 'Invoice #', 'Invoice'])} ${truth.invoice_number ?? ''}`, {
      size: body,
      font,
      anchor: 'end',
      bold: true,
    }),
  );
  out.push(
    text(1160, 135, `${random.pick(['Issued:', 'Date:', 'Dated'])} ${formatDate(truth.date ?? '', locale.date)}`, {
      size: body,
      font,
      anchor: 'end',
    }),
  );
  out.push(text(1160, 175, `Due: ${formatDate(content.dueDate, locale.date)}`, { size: body, font, anchor: 'end' }));
  out.push(text(80, 300, 'Invoice to', { size: body, font, fill: '#666' }));
  out.push(text(80, 300 + body * 1.5, content.customer.join(', '), { size: body, font }));
  let y = 450;
  out.push(
    text(80, y, 'Service', { size: body, font, bold: true }),
    text(700, y, 'Qty', { size: body, font, bold: true, anchor: 'end' }),
    text(930, y, 'Unit cost', { size: body, font, bold: true, anchor: 'end' }),
    text(1160, y, 'Total', { size: body, font, bold: true, anchor: 'end' }),
  );
  truth.line_items.forEach((line, i) => {
    y += body * 2.2;
    if (i % 2 === 0) out.push(`<rect x="70" y="${y - body * 1.35}" width="1100" height="${body * 2.1}" fill="#f3f4f6"/>`);
    out.push(
      text(80, y, line.description, { size: body, font }),
      text(700, y, quantityText(line.quantity ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(930, y, amountText(line.unit_price ?? 0, locale), { size: body, font, anchor: 'end' }),
      text(1160, y, amountText(line.total ?? 0, locale), { size: body, font, anchor: 'end' }),
    );
  });
  y += body * 3;
  const totals: [string, number][] = [
    ['Net amount', truth.subtotal ?? 0],
    [taxLabelText(locale), truth.tax ?? 0],
    ['Grand total', truth.total ?? 0],
  ];
  totals.forEach(([label, value], i) => {
    const ty = y + i * body * 2;
    out.push(
      text(760, ty, label, { size: body, font, bold: i === 2 }),
      text(1160, ty, formatMoney(value, locale), { size: body, font, anchor: 'end', bold: i === 2 }),
    );
  });
  out.push(
    text(620, 1660, `All amounts in ${locale.currency}. Bank transfer to the account on file.`, {
      size: Math.round(body * 0.85),
      font,
      anchor: 'middle',
      fill: '#555',
    }),
  );
  return out;
}

export function renderInvoice(content: InvoiceContent, random: Random): RenderedSvg {
  const layout = random.pick(['classic', 'stacked', 'plain', 'banded'] as const);
  const font: Font = layout === 'plain' ? 'DejaVu Sans Mono' : random.pick(['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans'] as const);
  const body =
    layout === 'classic'
      ? classicInvoice(content, random, font)
      : layout === 'stacked'
        ? stackedInvoice(content, random, font)
        : layout === 'plain'
          ? plainInvoice(content, random)
          : bandedInvoice(content, random, font);
  return { svg: svgDocument(A4.width, A4.height, body), ...A4, layout, font };
}

const twelveHour = (time: string): string => {
  const [hours = 0, minutes = 0] = time.split(':').map(Number);
  return `${((hours + 11) % 12) + 1}:${String(minutes).padStart(2, '0')} ${hours < 12 ? 'AM' : 'PM'}`;
};

const PAYMENT_PRINTED: Record<string, string> = {
  Visa: 'VISA **** 4821',
  Mastercard: 'MASTERCARD **** 7710',
  Cash: 'CASH',
  'Debit card': 'DEBIT CARD **** 3392',
  'American Express': 'AMERICAN EXPRESS **** 1005',
};

/** A till receipt: narrow, centred header, item rows with amounts on the right, totals, payment. */
export function renderReceipt(content: ReceiptContent, random: Random): RenderedSvg {
  const { truth, locale } = content;
  const layout = random.pick(['thermal', 'columns'] as const);
  const font: Font = layout === 'thermal' ? 'DejaVu Sans Mono' : random.pick(['DejaVu Sans', 'DejaVu Sans Mono'] as const);
  const width = 576;
  const size = random.int(19, 23);
  const step = Math.round(size * 1.55);
  const left = 28;
  const right = width - 28;
  const out: string[] = [];
  let y = 70;
  out.push(text(width / 2, y, truth.merchant ?? '', { size: Math.round(size * 1.4), font, bold: true, anchor: 'middle' }));
  for (const line of content.address) out.push(text(width / 2, (y += step), line, { size, font, anchor: 'middle' }));
  out.push(text(width / 2, (y += step), `Tel ${random.int(200, 999)}-${random.int(1000, 9999)}`, { size, font, anchor: 'middle' }));
  y += step;
  const usTime = locale.currency === 'USD' && random.chance(0.5);
  out.push(
    text(left, (y += step), formatDate(truth.date ?? '', locale.date), { size, font }),
    text(right, y, usTime ? twelveHour(truth.time ?? '') : (truth.time ?? ''), { size, font, anchor: 'end' }),
  );
  if (random.chance(0.5)) out.push(text(left, (y += step), `Receipt #${random.int(1000, 99999)}`, { size, font }));
  const dashes = '-'.repeat(Math.floor((right - left) / (size * 0.6)));
  out.push(text(left, (y += step), dashes, { size, font, fill: '#555' }));
  if (layout === 'columns') {
    out.push(
      text(left, (y += step), 'Item', { size, font, bold: true }),
      text(360, y, 'Qty', { size, font, bold: true, anchor: 'end' }),
      text(right, y, 'Price', { size, font, bold: true, anchor: 'end' }),
    );
  }
  const twoLine = layout === 'thermal' && random.chance(0.5);
  for (const item of truth.items) {
    const quantity = item.quantity ?? 1;
    const total = amountText(item.total ?? 0, locale);
    if (layout === 'columns') {
      out.push(
        text(left, (y += step), item.description, { size, font }),
        text(360, y, String(quantity), { size, font, anchor: 'end' }),
        text(right, y, total, { size, font, anchor: 'end' }),
      );
    } else if (quantity > 1 && twoLine) {
      out.push(text(left, (y += step), item.description, { size, font }));
      out.push(
        text(left + size * 2, (y += step), `${quantity} @ ${amountText(item.unit_price ?? 0, locale)}`, { size, font }),
        text(right, y, total, { size, font, anchor: 'end' }),
      );
    } else {
      const label = quantity > 1 ? `${quantity} x ${item.description}` : item.description;
      out.push(text(left, (y += step), label, { size, font }), text(right, y, total, { size, font, anchor: 'end' }));
    }
  }
  out.push(text(left, (y += step), dashes, { size, font, fill: '#555' }));
  const totals: [string, number, boolean][] = [];
  if (truth.subtotal !== null) totals.push(['SUBTOTAL', truth.subtotal, false]);
  if (truth.tax !== null) totals.push([taxLabelText(locale).toUpperCase(), truth.tax, false]);
  if (truth.tip !== null) totals.push(['TIP', truth.tip, false]);
  totals.push([random.pick(['TOTAL', 'Total', 'AMOUNT DUE']), truth.total ?? 0, true]);
  for (const [label, value, bold] of totals) {
    const labelSize = bold ? Math.round(size * 1.2) : size;
    out.push(
      text(left, (y += step), label, { size: labelSize, font, bold }),
      text(right, y, bold ? formatMoney(value, locale) : amountText(value, locale), { size: labelSize, font, bold, anchor: 'end' }),
    );
  }
  y += step / 2;
  const payment = truth.payment_method ?? 'Cash';
  if (payment === 'Cash') {
    const tendered = Math.ceil(((truth.total ?? 0) + 0.01) / 10) * 10;
    out.push(text(left, (y += step), 'CASH', { size, font }), text(right, y, amountText(tendered, locale), { size, font, anchor: 'end' }));
    out.push(
      text(left, (y += step), 'CHANGE', { size, font }),
      text(right, y, amountText(tendered - (truth.total ?? 0), locale), { size, font, anchor: 'end' }),
    );
  } else {
    out.push(text(left, (y += step), PAYMENT_PRINTED[payment] ?? payment.toUpperCase(), { size, font }));
  }
  out.push(
    text(width / 2, (y += step * 2), random.pick(['THANK YOU!', 'Thank you for shopping with us', 'Please come again']), {
      size,
      font,
      anchor: 'middle',
    }),
  );
  const height = Math.round(y + step * 2);
  return { svg: svgDocument(width, height, out), width, height, layout, font };
}
