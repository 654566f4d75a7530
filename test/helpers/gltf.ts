/**
 * Writes a small glTF 2.0 file (JSON with an embedded buffer): a floor and two boxes with PBR
 * materials. Stands in for "a user's .gltf" in tests without shipping an asset.
 */
import { writeFileSync } from "node:fs";

function box(cx: number, cy: number, cz: number, sx: number, sy: number, sz: number) {
  const pos: number[] = [];
  const nrm: number[] = [];
  const idx: number[] = [];
  const faces: Array<[number[], number[], number[]]> = [
    [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    [
      [-1, 0, 0],
      [0, 0, 1],
      [0, 1, 0],
    ],
    [
      [0, 1, 0],
      [0, 0, 1],
      [1, 0, 0],
    ],
    [
      [0, -1, 0],
      [1, 0, 0],
      [0, 0, 1],
    ],
    [
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
    ],
    [
      [0, 0, -1],
      [0, 1, 0],
      [1, 0, 0],
    ],
  ];
  for (const [n, u, v] of faces) {
    const base = pos.length / 3;
    for (const [a, b] of [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ]) {
      const p = [0, 1, 2].map((i) => n[i] + a * u[i] + b * v[i]);
      pos.push(cx + (p[0] * sx) / 2, cy + (p[1] * sy) / 2, cz + (p[2] * sz) / 2);
      nrm.push(...n);
    }
    idx.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  return { pos, nrm, idx };
}

export function writeTestGltf(path: string): void {
  const parts = [box(0, -0.05, 0, 6, 0.1, 6), box(-1, 0.5, 0, 1, 1, 1), box(1.2, 0.75, 0.5, 0.8, 1.5, 0.8)];
  const chunks: Buffer[] = [];
  const bufferViews: object[] = [];
  const accessors: object[] = [];
  const meshes: object[] = [];
  let offset = 0;
  const push = (data: Buffer, target: number) => {
    bufferViews.push({ buffer: 0, byteOffset: offset, byteLength: data.length, target });
    chunks.push(data);
    offset += data.length;
    return bufferViews.length - 1;
  };
  parts.forEach((p, i) => {
    const pos = Buffer.from(new Float32Array(p.pos).buffer);
    const nrm = Buffer.from(new Float32Array(p.nrm).buffer);
    const idx = Buffer.from(new Uint16Array(p.idx).buffer);
    const min = [0, 1, 2].map((k) => Math.min(...p.pos.filter((_, j) => j % 3 === k)));
    const max = [0, 1, 2].map((k) => Math.max(...p.pos.filter((_, j) => j % 3 === k)));
    accessors.push({
      bufferView: push(pos, 34962),
      componentType: 5126,
      count: p.pos.length / 3,
      type: "VEC3",
      min,
      max,
    });
    accessors.push({ bufferView: push(nrm, 34962), componentType: 5126, count: p.nrm.length / 3, type: "VEC3" });
    accessors.push({ bufferView: push(idx, 34963), componentType: 5123, count: p.idx.length, type: "SCALAR" });
    meshes.push({
      primitives: [{ attributes: { POSITION: i * 3, NORMAL: i * 3 + 1 }, indices: i * 3 + 2, material: i }],
    });
  });
  const buffer = Buffer.concat(chunks);
  const gltf = {
    asset: { version: "2.0", generator: "remaster tests" },
    scene: 0,
    scenes: [{ nodes: [0, 1, 2] }],
    nodes: meshes.map((_, i) => ({ mesh: i })),
    meshes,
    materials: [
      { pbrMetallicRoughness: { baseColorFactor: [0.6, 0.6, 0.55, 1], metallicFactor: 0, roughnessFactor: 0.8 } },
      { pbrMetallicRoughness: { baseColorFactor: [0.9, 0.2, 0.1, 1], metallicFactor: 0, roughnessFactor: 0.4 } },
      { pbrMetallicRoughness: { baseColorFactor: [0.95, 0.9, 0.8, 1], metallicFactor: 1, roughnessFactor: 0.2 } },
    ],
    accessors,
    bufferViews,
    buffers: [{ byteLength: buffer.length, uri: `data:application/octet-stream;base64,${buffer.toString("base64")}` }],
  };
  writeFileSync(path, JSON.stringify(gltf));
}
