"""Delivery of a day to its readers (`digest send`): chat messages and email through Apprise."""
