package android.app;

/** Stub of android.app.MissingForegroundServiceTypeException (API 34). */
public final class MissingForegroundServiceTypeException extends ForegroundServiceTypeException {
    public MissingForegroundServiceTypeException(String message) {
        super(message);
    }
}
