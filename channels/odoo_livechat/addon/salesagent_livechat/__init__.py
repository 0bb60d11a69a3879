import secrets

from . import controllers, models  # noqa: F401 (Odoo registers them on import)

SECRET_PARAM = "salesagent_livechat.webhook_secret"
BOT_PARAM = "salesagent_livechat.bot_partner_id"


def post_init_hook(env):
    """Give a new installation a random shared secret and point the settings at the bot."""
    params = env["ir.config_parameter"].sudo()
    if not params.get_param(SECRET_PARAM):
        params.set_param(SECRET_PARAM, secrets.token_urlsafe(32))
    if not params.get_param(BOT_PARAM):
        bot = env.ref("salesagent_livechat.partner_salesagent_bot", raise_if_not_found=False)
        if bot:
            params.set_param(BOT_PARAM, str(bot.id))
