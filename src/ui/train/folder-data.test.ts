import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classFiles } from './folder-data';

const file = (path: string) => ({ name: path.split('/').pop()!, webkitRelativePath: path });

test('a picked class folder: classes and files sorted, labels by class, other files left out', () => {
  const { root, classes, files } = classFiles([
    file('pets/dog/b.JPG'), file('pets/cat/a.png'), file('pets/dog/a.jpeg'), file('pets/cat/notes.txt'), file('pets/readme.png'),
  ]);
  assert.equal(root, 'pets');
  assert.deepEqual(classes, ['cat', 'dog']);
  assert.deepEqual(files.map(({ f, label }) => [f.webkitRelativePath, label]), [['pets/cat/a.png', 0], ['pets/dog/a.jpeg', 1], ['pets/dog/b.JPG', 1]]);
});

test('a picked class folder takes the images the CLI reads too (JPEG, PNG), so a folder gives the same images and the same test split in both', () => {
  const { files } = classFiles([file('f/a/1.png'), file('f/a/2.webp'), file('f/a/3.gif'), file('f/b/1.jpg'), file('f/b/2.bmp')]);
  assert.deepEqual(files.map(({ f }) => f.webkitRelativePath), ['f/a/1.png', 'f/b/1.jpg']);
});

test('fewer than 2 classes is a clear error', () => {
  assert.throws(() => classFiles([file('f/a/1.png'), file('f/a/2.png')]), /at least 2 classes/);
});
