package android.content;

/** Stub of android.content.ContextWrapper (the base of Service and Activity). */
public class ContextWrapper extends Context {
    public ContextWrapper(Context base) {}
}
