-- Reminders moved to the notify module's table (notifications).
DROP TABLE rating_notifications;
