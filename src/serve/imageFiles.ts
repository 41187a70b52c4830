import { existsSync, realpathSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, resolve, sep } from "node:path";
import { HttpError } from "./params.js";

const TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".gif": "image/gif",
  ".avif": "image/avif",
  ".svg": "image/svg+xml",
};

/**
 * Where the gallery's image files are unless told otherwise: an `images` folder beside the
 * database, where `artist-store demo` writes its placeholders.
 * @example defaultImagesDir("/srv/data/ai_artist.db") // "/srv/data/images"
 */
export const defaultImagesDir = (dbPath: string): string => join(dirname(dbPath), "images");

/** Whether `target` is `root` itself or lies inside it (both absolute, normalised). */
const inside = (root: string, target: string): boolean => target.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The image files of the gallery, served only from inside one folder: a name that resolves
 * outside it (`../`, an absolute path) or a symbolic link that points outside it is refused (403),
 * a name that is not a file there is 404.
 * @example const files = createImageFiles("data/images"); files.urlOf("a.png") // "/images/a.png" (or null)
 */
export const createImageFiles = (dir: string | undefined) => {
  const root = dir !== undefined && existsSync(dir) ? realpathSync(dir) : undefined;

  /** The real path of an image inside the folder; HttpError otherwise. */
  const locate = (name: string): string => {
    if (root === undefined) throw new HttpError(404, "NO_IMAGES_DIR", "no --images-dir: images are not served");
    if (name === "" || name.includes("\0")) throw new HttpError(404, "IMAGE_NOT_FOUND", "no such image");
    const target = resolve(root, name);
    if (!inside(root, target)) throw new HttpError(403, "OUTSIDE_IMAGES_DIR", "refused: outside --images-dir");
    let real: string;
    try {
      real = realpathSync(target);
    } catch {
      throw new HttpError(404, "IMAGE_NOT_FOUND", "no such image");
    }
    if (!inside(root, real)) throw new HttpError(403, "OUTSIDE_IMAGES_DIR", "refused: outside --images-dir");
    if (!statSync(real).isFile()) throw new HttpError(404, "IMAGE_NOT_FOUND", "no such image");
    return real;
  };

  return {
    dir: root,
    /** The URL of an image's file, or null when the folder has no such file (the page draws a placeholder). */
    urlOf(filename: string): string | null {
      try {
        locate(filename);
      } catch {
        return null;
      }
      return `/images/${filename.split("/").map(encodeURIComponent).join("/")}`;
    },
    /** The file's bytes and content type, or HttpError (403 outside the folder, 404 missing). */
    async read(name: string): Promise<{ body: Uint8Array; type: string }> {
      const real = locate(name);
      return { body: await readFile(real), type: TYPES[extname(real).toLowerCase()] ?? "application/octet-stream" };
    },
  };
};
export type ImageFiles = ReturnType<typeof createImageFiles>;
