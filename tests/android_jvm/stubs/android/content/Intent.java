package android.content;

import android.net.Uri;
import android.os.Bundle;

/** Stub of android.content.Intent: an action, a data URI, or a component with string extras. */
public class Intent {
    private final String action;
    private final Uri data;
    private final Class<?> component;
    private final Bundle extras = new Bundle();

    public Intent(String action) {
        this(action, null);
    }

    public Intent(String action, Uri uri) {
        this.action = action;
        this.data = uri;
        this.component = null;
    }

    public Intent(Context packageContext, Class<?> cls) {
        this.action = null;
        this.data = null;
        this.component = cls;
    }

    public Intent putExtra(String name, String value) {
        extras.putString(name, value);
        return this;
    }

    public Bundle getExtras() {
        return extras;
    }

    public String getAction() {
        return action;
    }

    public Uri getData() {
        return data;
    }

    public ComponentName getComponent() {
        return component == null ? null : new ComponentName("org.fmtcnb.bridge", component.getName());
    }

    @Override
    public String toString() {
        return "Intent { " + (component != null ? "cmp=" + component.getSimpleName() : "act=" + action) + " }";
    }
}
