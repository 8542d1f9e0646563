package dev.annealer.trainer.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/** A file channel that fails like a full volume (ENOSPC) once {@code limit} bytes were written through it. */
final class LimitedChannel extends FileChannel {
  private final FileChannel in;
  private long left;

  LimitedChannel(FileChannel in, long limit) {
    this.in = in;
    this.left = limit;
  }

  private int take(ByteBuffer b) throws IOException {
    if (b.remaining() > left) {
      int n = (int) Math.max(0, left);
      if (n > 0) {
        ByteBuffer part = b.duplicate();
        part.limit(part.position() + n);
        in.write(part);
        b.position(b.position() + n);
        left = 0;
      }
      throw new IOException("No space left on device");
    }
    int n = in.write(b);
    left -= n;
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return take(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long n = 0;
    for (int i = offset; i < offset + length; i++) {
      n += take(srcs[i]);
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return in.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return in.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return in.read(dst, position);
  }

  @Override
  public long position() throws IOException {
    return in.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    in.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return in.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    in.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    in.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  protected void implCloseChannel() throws IOException {
    in.close();
  }
}
