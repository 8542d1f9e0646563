package dev.annealer.trainer.dist;

import java.util.Map;

/**
 * Where this worker sits in the group, read from torchrun's environment conventions: {@code WORLD_SIZE},
 * {@code RANK}, {@code LOCAL_RANK}, {@code MASTER_ADDR}, {@code MASTER_PORT}. Without {@code WORLD_SIZE} (or with 1)
 * the worker is alone.
 */
public record WorkerEnv(int worldSize, int rank, int localRank, String masterAddr, int masterPort) {

  public static final WorkerEnv SINGLE = new WorkerEnv(1, 0, 0, "127.0.0.1", 0);

  public boolean distributed() {
    return worldSize > 1;
  }

  /** Parses the environment; a bad value names the variable, the value and the fix. */
  public static WorkerEnv of(Map<String, String> env) {
    String ws = env.get("WORLD_SIZE");
    if (ws == null || ws.isBlank()) {
      return SINGLE;
    }
    int world = number(env, "WORLD_SIZE", 1, 65536);
    if (world == 1) {
      return SINGLE;
    }
    int rank = number(env, "RANK", 0, world - 1);
    int localRank = env.get("LOCAL_RANK") == null ? 0 : number(env, "LOCAL_RANK", 0, world - 1);
    String addr = env.get("MASTER_ADDR");
    if (addr == null || addr.isBlank()) {
      throw new IllegalArgumentException("MASTER_ADDR is not set but WORLD_SIZE=" + world + ": set it to the host name "
          + "or address of rank 0 (the TCPStore rendezvous runs there)");
    }
    int port = number(env, "MASTER_PORT", 1, 65535);
    return new WorkerEnv(world, rank, localRank, addr.trim(), port);
  }

  private static int number(Map<String, String> env, String name, int min, int max) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " is not set but WORLD_SIZE is: set it to an integer in [" + min + ", "
          + max + "] (torchrun's conventions)");
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + "=" + v + " is not an integer in [" + min + ", " + max + "]: fix the "
          + "worker's environment (torchrun's conventions: WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT)");
    }
  }
}
