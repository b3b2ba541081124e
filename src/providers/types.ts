import type { PageText } from '../media/pageText.js';
import type { Profile } from '../profiles/types.js';
import type { RequestImage } from '../media/imageTypes.js';

/** An answer that failed validation: the provider asks once more, showing it the answer and what is wrong. */
export interface RepairTurn {
  rawText: string;
  issues: string[];
}

/** A document page sent as one of a request's images, with what its own text layer says. */
export interface RequestPage {
  /** 1-based, in the whole document. */
  page: number;
  /** Boxes in the coordinates of the page's rendering (`RequestImage.source`); null for TIFF pages. */
  text: PageText | null;
  /** Whether `text` stands for the page (enough characters); otherwise only the pixels do. */
  hasText: boolean;
}

/**
 * A document page drawn when a provider reads it. A provider that reads pages one after another (the
 * offline provider's OCR) then holds one page's rendering at a time, not every page of the request.
 */
export interface PageToRead extends RequestPage {
  /** The page's image, drawn now (one page at a time); the caller is its only holder, and drawing it again draws it anew. */
  draw(): Promise<RequestImage>;
}

export interface AnalysisRequest {
  profile: Profile;
  /** At least one; a comparison sends several, in the order the model should see them. */
  images: RequestImage[];
  /** For a document: one per image, in the same order. A provider that reads text may use it instead of the pixels. */
  pages?: RequestPage[];
  repair?: RepairTurn;
  /** Text read from the images by OCR, framed for the model; sent after the profile's instructions (OCR_GROUNDING). */
  grounding?: string;
  /** The completion budget (reasoning included); unset means what the profile and the request shape give. */
  maxCompletionTokens?: number;
  signal?: AbortSignal;
}

export interface Usage {
  /** Reported by the provider; null when the provider does not report it. */
  promptTokens: number | null;
  /** Reasoning tokens included. */
  completionTokens: number | null;
  /** The part of `completionTokens` the model spent thinking (reasoning models). */
  reasoningTokens?: number | null;
  /** The part of `promptTokens` served from the prompt cache, at the cached price. */
  cachedPromptTokens?: number | null;
  /** The prompt (text and images) as estimated before the call, to set beside the billed `promptTokens`. */
  promptTokensEstimated?: number | null;
}

/** Where one output field came from: how sure the provider is and the text it read it from. */
export interface FieldEvidence {
  /** 0..1 */
  confidence: number;
  text: string;
  /** 1-based page of a multi-page document. */
  page?: number;
  /** The value failed a format check also after the repair, so `data` holds null (pipeline/salvageFields.ts). */
  rejected?: { value: unknown; reason: string };
}

export interface AnalysisResponse {
  /** The profile's output, not yet validated: the pipeline validates every provider the same way. */
  data: unknown;
  /** The model's raw text, kept for diagnosis when validation fails. */
  rawText: string;
  /** The model or deployment that answered. */
  model: string;
  usage: Usage;
  warnings: string[];
  /** Set when the completion budget (this many tokens) ran out before the answer was complete JSON. */
  truncatedAt?: number;
  /** Per-field provenance keyed by the field's JSON path (e.g. `total`, `line_items[0].total`). */
  evidence?: Record<string, FieldEvidence>;
  /** Provider-specific facts for the result (e.g. OCR engine version). Never secrets. */
  info?: Record<string, string>;
}

/** An `AnalysisRequest` for document pages that the provider draws as it reads them, in page order. */
export interface PagesRequest extends Omit<AnalysisRequest, 'images' | 'pages'> {
  /** At least one. */
  pages: PageToRead[];
}

export interface VisionProvider {
  readonly name: 'openai' | 'offline';
  analyze(request: AnalysisRequest): Promise<AnalysisResponse>;
  /** The answer `analyze` gives for the same pages drawn up front; only a provider that reads pages one at a time has it. */
  analyzePages?(request: PagesRequest): Promise<AnalysisResponse>;
  /** Releases pooled resources (OCR workers, sockets) when the host stops. */
  close(): Promise<void>;
}
