package android.content;

import android.net.Uri;

/** Stub of android.content.Intent: an action and a data URI. */
public class Intent {
    private final String action;
    private final Uri data;

    public Intent(String action) {
        this(action, null);
    }

    public Intent(String action, Uri data) {
        this.action = action;
        this.data = data;
    }

    public String getAction() {
        return action;
    }

    public Uri getData() {
        return data;
    }
}
