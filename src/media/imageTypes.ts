/** An image as the pipeline carries it: as uploaded, as sent to a model, and both together for a request. */

/** The image as it is sent to the model, after orientation, resizing and re-encoding. */
export interface PreparedImage {
  bytes: Buffer;
  mime: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
  /** The detail level the request will carry (`auto` is resolved before the call). */
  detail: 'low' | 'high';
  /** Image tokens the model will charge for this image, computed before the call. */
  imageTokens: number;
}

/** Facts about the uploaded image itself. */
export interface SourceImage {
  bytes: Buffer;
  /** Detected from the bytes, never from the name. */
  mime: string;
  /** After EXIF orientation is applied. */
  width: number;
  height: number;
  /** EXIF orientation tag (1-8) when present. */
  orientation?: number;
}

/** One image of a request: as it is sent, as it was uploaded, and the blob name the model is told. */
export interface RequestImage {
  name: string;
  image: PreparedImage;
  source: SourceImage;
}
