"""The one path every question and every document takes through the appliance."""
