"""The livechat button shows on served channels even when no operator is online."""

from odoo.addons.im_livechat.controllers.main import LivechatController
from odoo.addons.mail.controllers.webclient import WebclientController
from odoo.http import request, route
from odoo.release import version_info


def _served_channel(channel_id):
    # sudo - im_livechat.channel: whether the agent serves the channel is public information.
    channel = request.env["im_livechat.channel"].sudo().browse(int(channel_id or 0)).exists()
    return channel if channel and channel._salesagent_bot() else None


def _button_allowed(channel_id):
    """The agent answers: the button shows unless the page's livechat rule hides it."""
    country = request.geoip.country_code
    country_id = (
        request.env["res.country"].sudo().search([("code", "=", country)], limit=1).id
        if country
        else None
    )
    url = request.httprequest.headers.get("Referer")
    rule = request.env["im_livechat.channel.rule"].sudo().match_rule(channel_id, url, country_id)
    return not rule or rule.action != "hide_button"


class SalesagentWebclient(WebclientController):
    # Odoo 19: availability is part of the store the livechat loads ("init_livechat").
    @classmethod
    def _process_request_for_all(cls, store, name, params):
        super()._process_request_for_all(store, name, params)
        if name == "init_livechat" and _served_channel(params):
            store.add_global_values(livechat_available=_button_allowed(int(params)))


if version_info[0] < 19:

    class SalesagentLivechatController(LivechatController):
        # Odoo 18: availability is the answer of /im_livechat/init.
        @route()
        def livechat_init(self, channel_id):
            result = super().livechat_init(channel_id)
            if isinstance(result, dict) and _served_channel(channel_id):
                result["available_for_me"] = _button_allowed(channel_id)
            return result
