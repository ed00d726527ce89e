package android.os;

/** Stub of android.os.IBinder. */
public interface IBinder {}
