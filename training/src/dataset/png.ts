/** PNG encode/decode for frames (contract: RGBA8 top row first; stored as 8-bit sRGB RGB PNG). */
import { PNG } from "pngjs";
import type { Image } from "./validate.ts";

/** Encodes as 8-bit RGB (colour type 2): alpha is always opaque by contract, so it is dropped. */
export function encodePng(img: Image): Buffer {
  const png = new PNG({
    width: img.width,
    height: img.height,
    colorType: 2,
    inputColorType: 6,
    inputHasAlpha: true,
    deflateLevel: 3,
  });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true, deflateLevel: 3 });
}

export function decodePng(bytes: Buffer): Image {
  const png = PNG.sync.read(bytes);
  return {
    width: png.width,
    height: png.height,
    data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
  };
}
