package android.content.res;

/** Stub of android.content.res.Resources: no named resources. */
public class Resources {
    private Resources() {}

    public int getIdentifier(String name, String defType, String defPackage) {
        return 0;
    }
}
