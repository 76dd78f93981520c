"""The saved models: the store's folders and records, exports out of the app, models side by side."""
