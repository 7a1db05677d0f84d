"""The admin side: who the admin is (`session`), how they sign in (`sign_in`), and the admin JSON
API under /v1/admin (`api`). The console's HTML pages live in `pages`."""
