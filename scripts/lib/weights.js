// Reads a generated weight file (a pallet's `weights.rs` or one in runtime/src/weights/): its
// header, and every `fn name(..) -> Weight { .. }` of the runtime's impl (`SubstrateWeight<T>`
// or `WeightInfo<T>`). Shared by scripts/performance-report.js and scripts/check-weights.js.

import { readFileSync } from 'node:fs';

/**
 * `{ header, fns }`: `header` maps the CLI's header fields (`DATE`, `STEPS`, ...) to their
 * values; `fns` maps each weight function to its ref time and proof size before storage
 * (picoseconds, bytes), its reads and writes, the ref time per unit of each component
 * (`slopes`, picoseconds as BigInt), whether it has components, and the storage it documents.
 */
export function parseWeights(path) {
  const text = readFileSync(path, 'utf8');
  const headerLines = text.split('\n').filter((l) => l.startsWith('//! ')).join('\n');
  const header = Object.fromEntries(
    [...headerLines.matchAll(/([A-Z][A-Z -]*): `?([^`,\n]*)`?/g)].map((m) => [m[1].trim(), m[2]]),
  );
  const impl = text.slice(text.search(/impl<T: frame_system::Config> [\w:]*WeightInfo for (SubstrateWeight|WeightInfo)<T>/));
  const body = impl.slice(0, impl.search(/\n}\n/));
  const fns = {};
  const re = /((?:\t\/\/\/ .*\n)*)\tfn (\w+)\(([^)]*)\) -> Weight \{([\s\S]*?)\n\t\}/g;
  const num = (s) => Number(String(s).replaceAll('_', ''));
  for (const m of body.matchAll(re)) {
    const [, docs, name, args, code] = m;
    const base = code.match(/Weight::from_parts\(([\d_]+), ([\d_]+)\)/);
    const proofExtra = code.match(/\.saturating_add\(Weight::from_parts\(0, ([\d_]+)\)\)/);
    const reads = code.match(/reads\((\d+)(?:_u64)?\)\)/);
    const writes = code.match(/writes\((\d+)(?:_u64)?\)\)/);
    const storage = [...docs.matchAll(/Storage: `([\w:]+)` \(r:(\d+) w:(\d+)\)/g)].map((s) => ({
      item: s[1], r: Number(s[2]), w: Number(s[3]),
    }));
    const slopes = Object.fromEntries(
      [...code.matchAll(/Weight::from_parts\(([\d_]+), 0\)\.saturating_mul\((\w+)\.into\(\)\)/g)]
        .map((s) => [s[2], BigInt(s[1].replaceAll('_', ''))]),
    );
    fns[name] = {
      ref_time: num(base[1]),
      proof: num(base[2]) + (proofExtra ? num(proofExtra[1]) : 0),
      reads: reads ? Number(reads[1]) : 0,
      writes: writes ? Number(writes[1]) : 0,
      components: args.trim() !== '',
      slopes,
      storage,
    };
  }
  return { header, fns };
}
