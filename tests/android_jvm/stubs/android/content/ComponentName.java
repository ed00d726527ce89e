package android.content;

/** Stub of android.content.ComponentName. */
public final class ComponentName {
    private final String className;

    public ComponentName(String pkg, String cls) {
        this.className = cls;
    }

    public String getClassName() {
        return className;
    }
}
