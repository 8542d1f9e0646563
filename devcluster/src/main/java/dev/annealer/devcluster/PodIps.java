package dev.annealer.devcluster;

import java.util.BitSet;

/**
 * Gives each pod its own loopback address, 127.0.1.1 ... 127.0.4.254 (Linux routes all of 127.0.0.0/8 to lo, so
 * a pod can bind its POD_IP without any network set-up). Freed addresses are reused, lowest first.
 */
public final class PodIps {

    private static final int PER_BLOCK = 254;
    private static final int BLOCKS = 4;
    private final BitSet used = new BitSet(PER_BLOCK * BLOCKS);

    public synchronized String allocate() {
        int i = used.nextClearBit(0);
        if (i >= PER_BLOCK * BLOCKS) {
            throw new IllegalStateException("all " + PER_BLOCK * BLOCKS + " pod addresses are in use");
        }
        used.set(i);
        return "127.0." + (1 + i / PER_BLOCK) + "." + (1 + i % PER_BLOCK);
    }

    public synchronized void release(String ip) {
        if (ip == null) {
            return;
        }
        String[] p = ip.split("\\.");
        int i = (Integer.parseInt(p[2]) - 1) * PER_BLOCK + Integer.parseInt(p[3]) - 1;
        used.clear(i);
    }
}
