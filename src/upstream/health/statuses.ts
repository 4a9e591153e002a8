// Expected probe statuses, written as codes (200), classes ("2xx") or ranges ("200-399"), compiled once
// into a lookup table so a probe's verdict is one array read.

export type StatusSpec = number | string;

const CLASS = /^([1-5])xx$/i;
const RANGE = /^([1-5]\d\d)-([1-5]\d\d)$/;
const CODE = /^[1-5]\d\d$/;

export type StatusMatcher = (status: number) => boolean;

export function compileStatuses(specs: readonly StatusSpec[]): StatusMatcher {
  if (specs.length === 0) throw new Error("expected statuses: at least one code, class or range");
  const table = new Uint8Array(600);
  for (const spec of specs) {
    const [lo, hi] = bounds(spec);
    table.fill(1, lo, hi + 1);
  }
  return (status) => status >= 100 && status < 600 && table[status] === 1;
}

function bounds(spec: StatusSpec): [number, number] {
  if (typeof spec === "number") {
    if (Number.isInteger(spec) && spec >= 100 && spec <= 599) return [spec, spec];
  } else {
    const cls = CLASS.exec(spec);
    if (cls) return [Number(cls[1]) * 100, Number(cls[1]) * 100 + 99];
    const range = RANGE.exec(spec);
    if (range && Number(range[1]) <= Number(range[2])) return [Number(range[1]), Number(range[2])];
    if (CODE.test(spec)) return [Number(spec), Number(spec)];
  }
  throw new Error(
    `expected statuses: ${JSON.stringify(spec)} is not a status code, "2xx" class or "200-299" range`,
  );
}
