package android.app;

/** Stub of android.app.InvalidForegroundServiceTypeException (API 34). */
public final class InvalidForegroundServiceTypeException extends ForegroundServiceTypeException {
    public InvalidForegroundServiceTypeException(String message) {
        super(message);
    }
}
