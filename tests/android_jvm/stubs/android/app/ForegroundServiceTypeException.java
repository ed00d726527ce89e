package android.app;

/** Stub of android.app.ForegroundServiceTypeException (API 34). */
public abstract class ForegroundServiceTypeException extends ServiceStartNotAllowedException {
    public ForegroundServiceTypeException(String message) {
        super(message);
    }
}
