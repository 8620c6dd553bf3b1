import type { GatekeeperConfig } from '../config/config-document.js';
import {
  extensionOf,
  isSniffedType,
  normalizeMime,
  sniffMime,
  typeOfExtension,
  type SniffedType,
} from './mime-sniff.js';

/** Why an upload is refused. @example UPLOAD_ERROR_CODES.includes('type_mismatch'); // true */
export const UPLOAD_ERROR_CODES = [
  'empty_file',
  'file_too_large',
  'invalid_filename',
  'missing_extension',
  'unknown_extension',
  'unrecognized_content',
  'type_not_allowed',
  'claimed_type_not_allowed',
  'type_mismatch',
  'extension_mismatch',
] as const;
export type UploadErrorCode = (typeof UPLOAD_ERROR_CODES)[number];

/** One reason an upload is refused. */
export interface UploadError {
  readonly code: UploadErrorCode;
  readonly message: string;
}

/** An upload request: what the client says, and the file's first bytes when sent. */
export interface UploadRequest {
  readonly filename: string;
  readonly contentType: string;
  readonly contentLength: number;
  /** The first bytes of the file; absent means the type cannot be sniffed (compatibility routes). */
  readonly head?: Uint8Array | undefined;
}

/** The verdict on an upload and everything it was based on. */
export interface UploadCheck {
  readonly valid: boolean;
  readonly filename: string;
  /** The claimed Content-Type in canonical form. */
  readonly claimedType: string;
  /** The type the bytes say (null when no head was sent or no signature matched). */
  readonly detectedType: SniffedType | null;
  readonly extension: string;
  /** The type the extension stands for. */
  readonly extensionType: SniffedType | null;
  readonly contentLength: number;
  readonly maxBytes: number;
  readonly sniffed: boolean;
  readonly errors: readonly UploadError[];
}

// Path separators, control characters and NUL smuggle paths or truncate names downstream.
// eslint-disable-next-line no-control-regex
const BAD_NAME_RE = /[/\\\u0000-\u001f\u007f]/;

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 2)} MB`;
}

/**
 * Checks an upload against the app's limits: size, file name, extension, the type sniffed from the
 * magic bytes (never the client's claim alone), that claim and extension agreeing with the bytes,
 * and the allowed types. Every failed check is listed.
 * @example
 * checkUpload({ filename: 'meme.jpg', contentType: 'image/jpeg', contentLength: 5 * 1024 * 1024, head: jpegBytes }, gk.uploads).valid; // true
 */
export function checkUpload(req: UploadRequest, limits: GatekeeperConfig['uploads']): UploadCheck {
  const errors: UploadError[] = [];
  const allowed = new Set<string>(limits.allowedTypes);
  const claimedType = normalizeMime(req.contentType);
  const extension = extensionOf(req.filename);
  const extensionType = extension === '' ? undefined : typeOfExtension(extension);
  const detected = req.head === undefined || req.head.length === 0 ? undefined : sniffMime(req.head);

  if (req.contentLength <= 0) errors.push({ code: 'empty_file', message: 'the file is empty' });
  if (req.contentLength > limits.maxBytes) {
    errors.push({
      code: 'file_too_large',
      message: `the file is ${mb(req.contentLength)}; the limit is ${mb(limits.maxBytes)}`,
    });
  }
  if (BAD_NAME_RE.test(req.filename) || req.filename.trim() === '' || req.filename.startsWith('.')) {
    errors.push({
      code: 'invalid_filename',
      message:
        'the file name must not be empty, start with a dot, or contain path separators or control characters',
    });
  }
  if (extension === '') {
    errors.push({ code: 'missing_extension', message: 'the file name has no extension' });
  } else if (extensionType === undefined) {
    errors.push({
      code: 'unknown_extension',
      message: `the extension '.${extension}' is not a known file type`,
    });
  }

  if (req.head !== undefined && req.head.length > 0) {
    if (detected === undefined) {
      errors.push({
        code: 'unrecognized_content',
        message: 'the file content does not match any known file signature',
      });
    } else {
      if (!allowed.has(detected))
        errors.push({
          code: 'type_not_allowed',
          message: `the content is ${detected}, which is not allowed`,
        });
      if (claimedType !== detected) {
        errors.push({
          code: 'type_mismatch',
          message: `the file is declared as ${claimedType || '(none)'} but its content is ${detected}`,
        });
      }
      if (extensionType !== undefined && extensionType !== detected) {
        errors.push({
          code: 'extension_mismatch',
          message: `the extension '.${extension}' stands for ${extensionType} but the content is ${detected}`,
        });
      }
    }
  }
  // Without content the claim is all there is: it must be allowed and agree with the extension.
  if (detected === undefined && !allowed.has(claimedType)) {
    errors.push({
      code: 'claimed_type_not_allowed',
      message: `the declared type ${claimedType || '(none)'} is not allowed`,
    });
  }
  if (
    detected === undefined &&
    extensionType !== undefined &&
    isSniffedType(claimedType) &&
    extensionType !== claimedType
  ) {
    errors.push({
      code: 'extension_mismatch',
      message: `the extension '.${extension}' stands for ${extensionType} but the file is declared as ${claimedType}`,
    });
  }

  return {
    valid: errors.length === 0,
    filename: req.filename,
    claimedType,
    detectedType: detected ?? null,
    extension,
    extensionType: extensionType ?? null,
    contentLength: req.contentLength,
    maxBytes: limits.maxBytes,
    sniffed: detected !== undefined,
    errors,
  };
}
