import { describe, expect, it } from 'vitest';
import { blobOfSubject, blobSubject, blobSubjectPrefix } from '../src/blobEvents.js';

describe('blob event subjects', () => {
  it('gives the container and the name as stored, without percent-decoding', () => {
    expect(blobOfSubject('/blobServices/default/containers/uploads/blobs/a.png')).toEqual({ container: 'uploads', blob: 'a.png' });
    expect(blobOfSubject('/blobServices/default/containers/uploads/blobs/folder/sub dir/ünï.jpg')).toEqual({
      container: 'uploads',
      blob: 'folder/sub dir/ünï.jpg',
    });
    // A name that itself contains an escape sequence or the segment keeps it.
    expect(blobOfSubject('/blobServices/default/containers/uploads/blobs/100%25 off%20.png')?.blob).toBe('100%25 off%20.png');
    expect(blobOfSubject('/blobServices/default/containers/uploads/blobs/x/blobs/y.png')?.blob).toBe('x/blobs/y.png');
  });

  it('rejects subjects that name no blob', () => {
    for (const subject of [
      '',
      '/blobServices/default/containers/uploads',
      '/blobServices/default/containers/uploads/blobs/',
      '/blobServices/default/containers//blobs/a.png',
      '/blobServices/default/containers/uploads/a.png',
      '/blobServices/other/containers/uploads/blobs/a.png',
      'BlobDataManagement/BlobInventory',
    ]) {
      expect(blobOfSubject(subject), subject).toBeUndefined();
    }
  });

  it('builds the subjects it parses, under the prefix a subscription filters on', () => {
    const subject = blobSubject('uploads', 'a b/ç%20.png');
    expect(subject).toBe('/blobServices/default/containers/uploads/blobs/a b/ç%20.png');
    expect(subject.startsWith(blobSubjectPrefix('uploads'))).toBe(true);
    expect(blobSubject('uploads2', 'a.png').startsWith(blobSubjectPrefix('uploads'))).toBe(false);
    expect(blobOfSubject(subject)).toEqual({ container: 'uploads', blob: 'a b/ç%20.png' });
  });
});
