from collections import namedtuple

from odoo import api, fields, models

URL_PARAM = "salesagent_livechat.agent_url"
SECRET_PARAM = "salesagent_livechat.webhook_secret"
TIMEOUT_PARAM = "salesagent_livechat.timeout"
BOT_PARAM = "salesagent_livechat.bot_partner_id"
DEFAULT_TIMEOUT = 3.0

SalesagentConfig = namedtuple("SalesagentConfig", "agent_url secret timeout bot")


def salesagent_config(env):
    """The addon's settings as the webhook and the handoff need them."""
    params = env["ir.config_parameter"].sudo()
    try:
        timeout = float(params.get_param(TIMEOUT_PARAM) or DEFAULT_TIMEOUT)
    except ValueError:
        timeout = DEFAULT_TIMEOUT
    bot_id = params.get_param(BOT_PARAM)
    bot = (
        env["res.partner"]
        .sudo()
        .with_context(active_test=False)
        .browse(int(bot_id) if bot_id and bot_id.isdigit() else [])
        .exists()
    )
    return SalesagentConfig(
        agent_url=(params.get_param(URL_PARAM) or "").strip(),
        secret=params.get_param(SECRET_PARAM) or "",
        timeout=max(0.5, min(timeout, 30.0)),
        bot=bot,
    )


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    salesagent_agent_url = fields.Char(
        "Agent URL",
        config_parameter=URL_PARAM,
        help="Base address of the salesagent service, e.g. https://agent.example.com; "
        "messages are sent to <URL>/webhooks/odoo/livechat.",
    )
    salesagent_webhook_secret = fields.Char(
        "Shared secret",
        config_parameter=SECRET_PARAM,
        help="Signs every webhook (HMAC-SHA256). Give the agent the same value as "
        "ODOO_WEBHOOK_SECRET.",
    )
    salesagent_timeout = fields.Float(
        "Webhook timeout (seconds)",
        config_parameter=TIMEOUT_PARAM,
        default=DEFAULT_TIMEOUT,
        help="How long Odoo waits for the agent to acknowledge a message.",
    )
    salesagent_bot_partner_id = fields.Many2one(
        "res.partner",
        string="Bot",
        config_parameter=BOT_PARAM,
        context={"active_test": False},
        help="The contact the agent writes as in the chat window (its name and avatar).",
    )
    salesagent_livechat_channel_ids = fields.Many2many(
        "im_livechat.channel",
        string="Served channels",
        help="Livechat channels whose visitors the agent answers first.",
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        served = self.env["im_livechat.channel"].sudo().search([("salesagent_serve", "=", True)])
        values["salesagent_livechat_channel_ids"] = [fields.Command.set(served.ids)]
        return values

    def set_values(self):
        super().set_values()
        channels = self.env["im_livechat.channel"].sudo()
        chosen = self.salesagent_livechat_channel_ids
        channels.search([("salesagent_serve", "=", True), ("id", "not in", chosen.ids)]).write(
            {"salesagent_serve": False}
        )
        chosen.sudo().filtered(lambda channel: not channel.salesagent_serve).write(
            {"salesagent_serve": True}
        )
