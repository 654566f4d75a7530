/**
 * Seeded, smooth camera paths: closed Catmull-Rom loops through waypoints inside a walk area,
 * looking at a second, slower loop of targets. Pure functions of (area, seed, path, time).
 */
import type { CameraPose } from "./contracts.ts";
import { createRng, hashSeed, range } from "./rng.ts";

export interface WalkArea {
  minX: number;
  maxX: number;
  minZ: number;
  maxZ: number;
}

export interface CameraPathOptions {
  area: WalkArea;
  seed: number;
  path: number;
  /** Seconds for one loop. */
  period?: number;
  /** Eye height range in metres. */
  heightRange?: [number, number];
}

/** Seconds one camera loop takes by default; frames 0..period*fps-1 cover a path once. */
export const DEFAULT_PATH_PERIOD = 24;
const WAYPOINTS = 6;
const MIN_LOOK_DISTANCE = 8;

type Vec3 = [number, number, number];

function catmullRom(p0: Vec3, p1: Vec3, p2: Vec3, p3: Vec3, t: number): Vec3 {
  const t2 = t * t;
  const t3 = t2 * t;
  return [0, 1, 2].map(
    (i) =>
      0.5 *
      (2 * p1[i] +
        (-p0[i] + p2[i]) * t +
        (2 * p0[i] - 5 * p1[i] + 4 * p2[i] - p3[i]) * t2 +
        (-p0[i] + 3 * p1[i] - 3 * p2[i] + p3[i]) * t3),
  ) as Vec3;
}

function loopPoint(points: Vec3[], u: number): Vec3 {
  const n = points.length;
  const x = (((u % 1) + 1) % 1) * n;
  const i = Math.floor(x);
  return catmullRom(points[(i - 1 + n) % n], points[i], points[(i + 1) % n], points[(i + 2) % n], x - i);
}

/** Camera pose on path `path` at scene time `time` seconds. */
export function cameraPose(options: CameraPathOptions, time: number): CameraPose {
  const { area, seed, path, period = DEFAULT_PATH_PERIOD, heightRange = [1.5, 3.5] } = options;
  const rng = createRng(hashSeed("camera", seed, path));
  const cx = (area.minX + area.maxX) / 2;
  const cz = (area.minZ + area.maxZ) / 2;
  // Waypoints go round the centre so the loop does not cross itself; radius jittered.
  const start = range(rng, 0, Math.PI * 2);
  const eye: Vec3[] = [];
  const look: Vec3[] = [];
  for (let k = 0; k < WAYPOINTS; k++) {
    const a = start + (k / WAYPOINTS) * Math.PI * 2;
    const r = range(rng, 0.55, 0.95);
    eye.push([
      cx + (Math.cos(a) * r * (area.maxX - area.minX)) / 2,
      range(rng, heightRange[0], heightRange[1]),
      cz + (Math.sin(a) * r * (area.maxZ - area.minZ)) / 2,
    ]);
    look.push([
      cx + range(rng, -0.5, 0.5) * (area.maxX - area.minX),
      range(rng, 1.5, 3.5),
      cz + range(rng, -0.5, 0.5) * (area.maxZ - area.minZ),
    ]);
  }
  const u = time / period;
  const position = loopPoint(eye, u);
  let target = loopPoint(look, u * 0.5 + 0.25);
  // Never look down at our own feet: keep the target at least MIN_LOOK_DISTANCE away horizontally.
  const dx = target[0] - position[0];
  const dz = target[2] - position[2];
  const dist = Math.hypot(dx, dz);
  if (dist < MIN_LOOK_DISTANCE) {
    const s = dist > 1e-6 ? MIN_LOOK_DISTANCE / dist : 0;
    target = s
      ? [position[0] + dx * s, target[1], position[2] + dz * s]
      : [position[0] + MIN_LOOK_DISTANCE, target[1], position[2]];
  }
  return { position, target, fov: 0.9 };
}

/** Bounds of a loaded model, for the automatic orbit camera of a user's glTF. */
export interface ModelBounds {
  center: [number, number, number];
  radius: number;
}

/**
 * Orbit camera for a user's model: each path circles the model at its own seeded radius,
 * height and direction, with a gentle bob so consecutive paths differ in more than phase.
 */
export function orbitPose(
  bounds: ModelBounds,
  seed: number,
  path: number,
  time: number,
  period = DEFAULT_PATH_PERIOD,
): CameraPose {
  const rng = createRng(hashSeed("orbit", seed, path));
  const r = bounds.radius * range(rng, 1.6, 2.6);
  const h = bounds.radius * range(rng, 0.1, 0.9);
  const dirSign = rng() < 0.5 ? -1 : 1;
  const a = range(rng, 0, Math.PI * 2) + (dirSign * time * Math.PI * 2) / period;
  const bob = Math.sin((time / period) * Math.PI * 4) * bounds.radius * 0.15;
  const [cx, cy, cz] = bounds.center;
  return {
    position: [cx + Math.cos(a) * r, cy + h + bob, cz + Math.sin(a) * r],
    target: [cx, cy, cz],
    fov: 0.8,
  };
}
