from odoo import _, fields, models
from odoo.release import version_info

from .res_config_settings import salesagent_config

ODOO_MAJOR = version_info[0]
OPERATOR_MODEL = "salesagent"
"""The kind of operator (Odoo 19's `operator_model`) that the agent's bot is."""


class ImLivechatChannel(models.Model):
    _inherit = "im_livechat.channel"

    salesagent_serve = fields.Boolean(
        "Served by the sales agent",
        help="New conversations of this channel are answered first by the salesagent bot, "
        "which hands them to an operator when the visitor asks for a person.",
    )

    def _salesagent_bot(self):
        """The bot partner when this channel is served by the agent, else an empty record."""
        self.ensure_one()
        if not self.salesagent_serve:
            return self.env["res.partner"]
        return salesagent_config(self.env).bot

    # Odoo 19: the bot is the session's first operator, a member of type "bot".
    def _get_operator_info(
        self, /, *, lang, country_id, previous_operator_id=None, chatbot_script_id=None, **kwargs
    ):
        bot = self._salesagent_bot() if not chatbot_script_id else self.env["res.partner"]
        if not bot:
            return super()._get_operator_info(
                lang=lang,
                country_id=country_id,
                previous_operator_id=previous_operator_id,
                chatbot_script_id=chatbot_script_id,
                **kwargs,
            )
        return {
            "agent": self.env["res.users"],
            "chatbot_script": self.env["chatbot.script"],
            "operator_partner": bot,
            "operator_model": OPERATOR_MODEL,
        }

    def _get_channel_name(
        self, /, *, visitor_user=None, guest=None, agent, chatbot_script, operator_model, **kwargs
    ):
        if operator_model != OPERATOR_MODEL:
            return super()._get_channel_name(
                visitor_user=visitor_user,
                guest=guest,
                agent=agent,
                chatbot_script=chatbot_script,
                operator_model=operator_model,
                **kwargs,
            )
        visitor = visitor_user.display_name if visitor_user else (guest.name if guest else "")
        return " ".join(name for name in (visitor, self._salesagent_bot().name) if name)

    def _is_livechat_available(self):
        return super()._is_livechat_available() or any(c._salesagent_bot() for c in self)

    # Odoo 18: the session's values are built here, with the bot as the operator.
    def _get_livechat_discuss_channel_vals(self, *args, **kwargs):
        if ODOO_MAJOR >= 19:
            return super()._get_livechat_discuss_channel_vals(*args, **kwargs)
        return self._salesagent_vals_18(
            *args, **kwargs
        ) or super()._get_livechat_discuss_channel_vals(*args, **kwargs)

    def _salesagent_vals_18(
        self,
        anonymous_name,
        previous_operator_id=None,
        chatbot_script=None,
        user_id=None,
        country_id=None,
        lang=None,
    ):
        bot = self._salesagent_bot() if not chatbot_script else self.env["res.partner"]
        if not bot:
            return False
        now = fields.Datetime.now()
        members = [
            fields.Command.create(
                {
                    "partner_id": bot.id,
                    "last_interest_dt": fields.Datetime.subtract(now, seconds=30),
                    "unpin_dt": now,
                }
            )
        ]
        visitor_user = (
            self.env["res.users"].browse(user_id).exists() if user_id else self.env["res.users"]
        )
        if visitor_user and visitor_user.active:
            members.append(fields.Command.create({"partner_id": visitor_user.partner_id.id}))
        visitor_name = visitor_user.display_name if visitor_user else anonymous_name
        return {
            "channel_member_ids": members,
            "livechat_active": True,
            "livechat_operator_id": bot.id,
            "livechat_channel_id": self.id,
            "chatbot_current_step_id": False,
            "anonymous_name": False if user_id else anonymous_name,
            "country_id": country_id,
            "channel_type": "livechat",
            "name": " ".join(name for name in (visitor_name, bot.name) if name),
        }

    def get_livechat_info(self, username=None):
        # Odoo 18 decides availability here (operators online or a chatbot): the agent counts.
        info = super().get_livechat_info(username=username)
        if not info.get("available") and self._salesagent_bot():
            info["available"] = True
            info["options"] = self._get_channel_infos()
            info["options"]["default_username"] = username or _("Visitor")
        return info
