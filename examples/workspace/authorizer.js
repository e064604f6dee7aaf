// Example AWS IoT Core custom authorizer: lets a device in when its token is "allow-<deviceId>"
// and, for MQTT, when the client id equals that device id. The policies let the device
// connect as itself and publish/subscribe under devices/<deviceId>/.
'use strict';

const ACCOUNT = process.env.AWS_ACCOUNT_ID || '123456789012';
const REGION = process.env.AWS_REGION || 'eu-west-1';

exports.handler = async (event) => {
  const token = event.token || '';
  const match = /^allow-([A-Za-z0-9]+)$/.exec(token);
  if (!event.signatureVerified || !match) {
    return { isAuthenticated: false, principalId: 'denied', disconnectAfterInSeconds: 300, refreshAfterInSeconds: 300, policyDocuments: [] };
  }
  const device = match[1];
  const mqtt = event.protocolData && event.protocolData.mqtt;
  if (mqtt && mqtt.clientId && mqtt.clientId !== device) {
    return { isAuthenticated: false, principalId: device, disconnectAfterInSeconds: 300, refreshAfterInSeconds: 300, policyDocuments: [] };
  }
  const arn = (type, name) => `arn:aws:iot:${REGION}:${ACCOUNT}:${type}/${name}`;
  return {
    isAuthenticated: true,
    principalId: device,
    disconnectAfterInSeconds: 86400,
    refreshAfterInSeconds: 300,
    policyDocuments: [
      {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 'iot:Connect', Resource: arn('client', '${iot:ClientId}') },
          { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: arn('topic', `devices/${device}/*`) },
          { Effect: 'Allow', Action: 'iot:Subscribe', Resource: arn('topicfilter', `devices/${device}/*`) },
        ],
      },
    ],
  };
};
