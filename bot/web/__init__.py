"""The owner's page (`aiki web`, docs/web.md): a local, private, server-rendered window into what AIKI keeps.

app.py builds the app from what it uses (the core, the logins), page.py is what every page works with (the
core, the templates, whose page it is, the navigation), guard.py is the one door every request passes
(host, session, CSRF, security headers, failures), auth.py turns a one-time link into a session, server.py binds
and serves, and each page's handlers live in a module of their own (memories.py, ...). It never imports discord.
"""
