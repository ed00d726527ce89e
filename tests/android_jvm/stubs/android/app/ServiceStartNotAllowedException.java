package android.app;

/** Stub of android.app.ServiceStartNotAllowedException (API 31). */
public abstract class ServiceStartNotAllowedException extends IllegalStateException {
    ServiceStartNotAllowedException(String message) {
        super(message);
    }
}
