"""The Slack App Home: what is waiting for the person looking, kept up to date.

:mod:`bot.home.homes` puts one person's Home together from what the other features keep
(approvals waiting for them, their locks, open incidents, the latest deploys, open ``[Ops]``
todo lists in their channels), reading them through :mod:`bot.home.ports`, and publishes it
when they open the tab and again when something it shows changes. Rendering it as Block Kit is
the Slack client's (:mod:`bot.clients.slack_home_view`).
"""
