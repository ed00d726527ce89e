package android.app;

import android.content.Context;
import fmtcstub.Calls;

/** Stub of android.app.Notification and its Builder; what a notification shows is kept privately. */
public class Notification {
    public static final int VISIBILITY_PRIVATE = 0;

    private String channelId;
    private String title;
    private String text;
    private int smallIcon;
    private int progress;
    private int progressMax;
    private boolean indeterminate;
    private boolean ongoing;
    private boolean onlyAlertOnce;

    public Notification() {}

    public Notification(int icon, CharSequence tickerText, long when) {
        this.smallIcon = icon;
        this.title = tickerText == null ? null : tickerText.toString();
    }

    @Override
    public String toString() {
        return "channel=" + channelId + " title=" + title + " text=" + text + " icon=" + smallIcon
                + " progress=" + progress + "/" + progressMax + " indeterminate=" + indeterminate
                + " ongoing=" + ongoing + " onlyAlertOnce=" + onlyAlertOnce;
    }

    /** Stub of android.app.Notification.Builder. */
    public static class Builder {
        private final Notification notification = new Notification();

        public Builder(Context context, String channelId) {
            notification.channelId = channelId;
        }

        public Builder(Context context) {
            notification.channelId = null;
        }

        public Builder setContentTitle(CharSequence title) {
            notification.title = title == null ? null : title.toString();
            return this;
        }

        public Builder setContentText(CharSequence text) {
            notification.text = text == null ? null : text.toString();
            return this;
        }

        public Builder setSmallIcon(int icon) {
            notification.smallIcon = icon;
            return this;
        }

        public Builder setProgress(int max, int progress, boolean indeterminate) {
            notification.progressMax = max;
            notification.progress = progress;
            notification.indeterminate = indeterminate;
            return this;
        }

        public Builder setOngoing(boolean ongoing) {
            notification.ongoing = ongoing;
            return this;
        }

        public Builder setOnlyAlertOnce(boolean onlyAlertOnce) {
            notification.onlyAlertOnce = onlyAlertOnce;
            return this;
        }

        public Builder setContentIntent(PendingIntent intent) {
            return this;
        }

        public Notification build() {
            Calls.record("Notification.Builder.build " + notification);
            return notification;
        }
    }
}
